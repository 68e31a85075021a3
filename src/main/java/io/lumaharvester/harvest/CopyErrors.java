package io.lumaharvester.harvest;

import java.io.IOException;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;

/**
 * A {@link LinkageError} thrown while a copy downloads its file (a library at another version than the one the code
 * was built against: {@code NoSuchFieldError}, {@code NoSuchMethodError}) becomes that download's failure, an
 * exception. Left an Error, it passes camel-http's producer, which catches only exceptions, and the parallel split
 * that runs the copy never hears of it: the task would wait for ever, with no log line. As an exception the copy
 * fails like any other (the task retries it, then ends media_unavailable, naming the error).
 */
public class CopyErrors implements HttpClientConfigurer, ExecChainHandler {

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        // first, so that it wraps the whole chain: the connection (the host's look-up) is made inside it
        clientBuilder.addExecInterceptorFirst("luma-copy-errors", this);
    }

    @Override
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        try {
            return chain.proceed(request, scope);
        } catch (LinkageError e) {
            throw new IOException(e.toString(), e);
        }
    }
}
