package dev.mai.operator.core;

import dev.mai.operator.openrouter.ApiKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code mai.dev/key-digest} of an env Secret: an HMAC of the key, its OpenRouter hash and the
 * MaiClient's UID, keyed with a secret only the operator holds ({@link DigestKey}). Whoever can edit
 * the Secret cannot compute it, so a Secret whose digest verifies was written by the operator for
 * this MaiClient with exactly this key and hash. It reveals nothing about the key.
 *
 * <p>Versions before the operator held a secret keyed the digest with the MaiClient's UID alone; the
 * UID is public, so such a digest proves nothing. It is recognised ({@link #legacy}) only so that an
 * upgrade can accept it once, after a fresh read of the key proves ownership, and rewrite it.
 */
public final class KeyDigest {

    /** Marks a digest keyed with the operator's secret; a legacy digest is 64 hex characters without it. */
    public static final String PREFIX = "v2:";

    private KeyDigest() {
    }

    /** The digest the operator writes now. */
    public static String of(byte[] secret, String uid, String keyHash, ApiKey key) {
        return PREFIX + hmac(secret, uid + "\n" + keyHash + "\n" + key.reveal());
    }

    /**
     * Names the key an adoption is taking over ({@code status.adoption.candidate}) without showing its
     * hash to whoever reads the MaiClient: found again by computing this for each key of the account.
     */
    public static String candidate(byte[] secret, String uid, String keyHash) {
        return PREFIX + hmac(secret, "adoption candidate\n" + uid + "\n" + keyHash);
    }

    /** Binds an adoption to the key value it was started with and the key it found ({@code status.adoption.keyDigest}). */
    public static String adoption(byte[] secret, String uid, String keyHash, ApiKey key) {
        return PREFIX + hmac(secret, "adoption\n" + uid + "\n" + keyHash + "\n" + key.reveal());
    }

    /**
     * Binds an adoption's proof to the limit it gave the key ({@code status.adoption.challenge}): a
     * put-back writes only while a fresh read still shows that limit, never over a limit someone set since.
     */
    public static String challenge(byte[] secret, String uid, String keyHash, String limit) {
        return PREFIX + hmac(secret, "adoption challenge\n" + uid + "\n" + keyHash + "\n" + limit);
    }

    /** The digest earlier versions wrote (keyed with the UID only): recognised once on upgrade, never written. */
    public static String legacy(String uid, String keyHash, ApiKey key) {
        return hmac(("mai-operator:" + uid).getBytes(StandardCharsets.UTF_8), keyHash + "\n" + key.reveal());
    }

    /** Compares in constant time: a digest check must not tell an attacker how much of a guess was right. */
    public static boolean matches(String expected, String actual) {
        return actual != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), actual.getBytes(StandardCharsets.UTF_8));
    }

    private static String hmac(byte[] secret, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }
}
