package io.lumaharvester.harvest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;

/**
 * luma.harvest.max-copy-ms for the part of a copy that the media client runs before it hands the answer over: leasing
 * and opening the connection, sending the request, reading the status line and headers, on every redirect. The read
 * time-out only catches a CDN that goes silent; one that sends its headers a byte at a time would otherwise hold the
 * copy's thread for ever. At the limit the request is cancelled (HttpClient drops its connection at once) and the
 * download fails with an {@link ExceededException}. Once the answer's head is in, {@link MediaCopy} watches the body
 * for the rest of the same limit.
 */
public class CopyLimit implements HttpClientConfigurer, ExecChainHandler {

    /** The media client's request ran past luma.harvest.max-copy-ms before its answer's head was read. */
    public static final class ExceededException extends InterruptedIOException {
        ExceededException(long maxCopyMs) {
            super("no answer head within " + maxCopyMs + " ms (luma.harvest.max-copy-ms)");
        }
    }

    private final long maxCopyMs;
    private final ScheduledExecutorService timers;

    public CopyLimit(long maxCopyMs, ScheduledExecutorService timers) {
        this.maxCopyMs = maxCopyMs;
        this.timers = timers;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        // first: around redirects and retries too, so that the limit counts from the request's start
        clientBuilder.addExecInterceptorFirst("luma-copy-limit", this);
    }

    @Override
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        // camel-http's requests are HttpUriRequestBase: cancelling one drops whatever it holds (lease, connection)
        Cancellable cancellable = scope.originalRequest instanceof Cancellable c ? c : () -> {
            scope.execRuntime.discardEndpoint();
            return true;
        };
        AtomicBoolean fired = new AtomicBoolean();
        Future<?> timer = timers.schedule(() -> {
            fired.set(true);
            cancellable.cancel();
        }, maxCopyMs, TimeUnit.MILLISECONDS);
        ClassicHttpResponse response;
        try {
            response = chain.proceed(request, scope);
        } catch (IOException | HttpException | RuntimeException e) {
            if (fired.get()) {
                ExceededException exceeded = new ExceededException(maxCopyMs);
                exceeded.initCause(e);
                throw exceeded;
            }
            throw e;
        } finally {
            timer.cancel(false);
        }
        if (fired.get()) {
            // the head came in as the limit passed: its connection is gone already
            response.close();
            throw new ExceededException(maxCopyMs);
        }
        return response;
    }
}
