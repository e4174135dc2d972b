package cn.ctyun.lts;

/**
 * A send's callback: runs exactly once, on the producer's callback thread (one per producer,
 * attached to the JVM once), with the outcome. Keep it short; an exception it throws is caught
 * and printed, never passed to the library.
 */
@FunctionalInterface
public interface Callback {
    void onResult(Result result);
}
