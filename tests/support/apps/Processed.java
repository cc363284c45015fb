import java.util.Base64;

/**
 * What the framework apps share: whether the app is "fixed" (environment variable
 * KMP_APP_FIXED set: it fails on nothing), and the line it prints for each record it
 * processed, which the tests read to check that a redriven record is processed once, byte for
 * byte: "PROCESSED KEY VALUE", each base64, "-" for null.
 */
final class Processed {
    private Processed() {}

    /** Whether the app was started fixed: it fails on no record. */
    static boolean fixed() {
        return System.getenv("KMP_APP_FIXED") != null;
    }

    /** Prints the line of a processed record. */
    static synchronized void print(byte[] key, byte[] value) {
        System.out.println("PROCESSED " + b64(key) + " " + b64(value));
        System.out.flush();
    }

    private static String b64(byte[] bytes) {
        return bytes == null ? "-" : Base64.getEncoder().encodeToString(bytes);
    }
}
