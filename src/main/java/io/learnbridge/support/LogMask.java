package io.learnbridge.support;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where what must not be logged is taken out of every log line, whatever logged it
 * (our code, Camel, a driver, an exception's message): the values of secret settings (tokens,
 * passwords, webhook secrets, from a settings file or the environment) become {@code xxxxxx}, and
 * e-mail addresses keep only their domain ({@code ***@example.com}). {@link MaskingEncoder} applies
 * it to the encoded line, text or JSON. Secrets are registered once the settings are read
 * ({@link Logs#configure}); a value shorter than 4 characters is not a secret worth masking.
 */
public final class LogMask {

    public static final String MASK = "xxxxxx";
    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,})");
    private static final List<String> SECRETS = new CopyOnWriteArrayList<>();

    private LogMask() {
    }

    /** A value never to be logged. */
    public static void secret(String value) {
        if (value == null || value.strip().length() < 4 || SECRETS.contains(value.strip())) {
            return;
        }
        String plain = value.strip();
        SECRETS.add(plain);
        // as the JSON line format writes it: logback's JSON encoder escapes \, " and / (base64 has slashes)
        String escaped = plain.replace("\\", "\\\\").replace("\"", "\\\"").replace("/", "\\/");
        if (!escaped.equals(plain)) {
            SECRETS.add(escaped);
        }
        // the longest first, so a secret that contains another is masked whole
        SECRETS.sort(Comparator.comparingInt(String::length).reversed());
    }

    /** The line without secrets and with e-mail addresses reduced to their domain. */
    public static String mask(String line) {
        String masked = line;
        for (String secret : SECRETS) {
            if (masked.contains(secret)) {
                masked = masked.replace(secret, MASK);
            }
        }
        if (masked.indexOf('@') < 0) {
            return masked;
        }
        Matcher m = EMAIL.matcher(masked);
        return m.find() ? m.replaceAll(r -> "***@" + Matcher.quoteReplacement(r.group(1))) : masked;
    }

    /** Forgets the registered secrets (tests). */
    public static void clear() {
        SECRETS.clear();
    }
}
