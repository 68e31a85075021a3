package io.lumaharvester.ops;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;

/**
 * One thread for the timers: every copy's wall-clock limit (it only drops connections), the S3 client's own
 * time-outs, which would otherwise start five threads of the SDK's, and the polling-lag WARN line. Shut down with the
 * context.
 */
@Configuration
public class TimerBeans implements CamelConfiguration {

    // camel-main calls each bind method twice: the thread is started once
    private ScheduledExecutorService timers;

    @BindToRegistry("timers")
    public synchronized ScheduledExecutorService timers(CamelContext context) {
        if (timers == null) {
            timers = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "timers");
            if (timers instanceof ScheduledThreadPoolExecutor pool) {
                // every copy that ends in time cancels its watchdog: it leaves the queue at once
                pool.setRemoveOnCancelPolicy(true);
            }
        }
        return timers;
    }
}
