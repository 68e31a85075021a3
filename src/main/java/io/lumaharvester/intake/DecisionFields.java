package io.lumaharvester.intake;

import io.lumaharvester.task.TaskExchange;
import io.lumaharvester.task.TaskTicket;
import java.util.Map;

import org.apache.camel.Body;
import org.apache.camel.ExchangeProperties;

/**
 * A {@link TaskStates.Decision}'s fields where the intake route reads them, each in a bean step: a
 * {@code ${body.runs}} is Camel's bean language, which copies the exchange for the expression and for the call
 * (docs/performance.md), and intake read three of them for every task admitted.
 */
public class DecisionFields {

    /** lumaRuns and lumaRepublishes, read once: the route branches on them. */
    public void remember(@Body TaskStates.Decision decided, @ExchangeProperties Map<String, Object> properties) {
        properties.put(TaskExchange.RUNS, decided.runs());
        properties.put(TaskExchange.REPUBLISHES, decided.republishes());
    }

    /** The ticket of the run that starts or goes on. */
    public TaskTicket ticket(@Body TaskStates.Decision decided) {
        return decided.ticket();
    }
}
