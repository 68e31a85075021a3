package io.lumaharvester.callback;

/** One of the schemes a profile's {@code callbacks.verify} names: whether a callback comes from its provider. */
public interface CallbackVerifier {

    Verification verify(CallbackRequest request);
}
