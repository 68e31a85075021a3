package io.lumaharvester.provider;

/** A task names a provider this harvester has no profile for. */
public class UnknownProviderException extends IllegalArgumentException {

    public UnknownProviderException(String name, Iterable<String> known) {
        super("no provider profile named '" + name + "' (known: " + String.join(", ", known) + ")");
    }
}
