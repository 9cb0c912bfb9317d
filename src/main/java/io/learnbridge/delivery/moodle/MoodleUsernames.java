package io.learnbridge.delivery.moodle;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Moodle's default username rule ({@code extendedusernamechars} off): lower case {@code a-z},
 * {@code 0-9} and {@code - . _ @} only. Moodle refuses a create whose username breaks it, and with
 * debugging off says only "Invalid parameter value detected". What the target mapping gives
 * (an email, a worker id, a captured part of either) is normalised the way Moodle cleans one, but
 * letters with accents keep their base letter ({@code jürgen} gives {@code jurgen}, where Moodle
 * would drop the letter) and {@code ß}, {@code æ}, {@code ø}, {@code œ}, {@code ł}, {@code đ}
 * are spelled out. A username another account holds gets a deterministic suffix: the worker id,
 * normalised, before the {@code @} ({@code sean.e1001@example.com}), so two workers never race
 * for the same next free number.
 */
final class MoodleUsernames {

    /** mdl_user.username is varchar(100). */
    static final int MAX_LENGTH = 100;
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    private static final Pattern NOT_ALLOWED = Pattern.compile("[^-.@_a-z0-9]");

    private MoodleUsernames() {
    }

    static String normalise(String raw) {
        if (raw == null) {
            return "";
        }
        String s = raw.strip().toLowerCase(Locale.ROOT)
                .replace("ß", "ss").replace("æ", "ae").replace("ø", "o").replace("œ", "oe").replace("ł", "l").replace("đ", "d");
        s = MARKS.matcher(Normalizer.normalize(s, Normalizer.Form.NFD)).replaceAll("");
        s = NOT_ALLOWED.matcher(s).replaceAll("");
        return s.length() <= MAX_LENGTH ? s : s.substring(0, MAX_LENGTH);
    }

    /** The username with the worker's suffix, for when {@code username} is held by another account. */
    static String withSuffix(String username, String workerId) {
        String suffix = "." + normalise(workerId);
        int at = username.indexOf('@');
        String local = at < 0 ? username : username.substring(0, at);
        String domain = at < 0 ? "" : username.substring(at);
        int room = MAX_LENGTH - suffix.length() - domain.length();
        if (room < 1) {
            return normalise(workerId);
        }
        return (local.length() <= room ? local : local.substring(0, room)) + suffix + domain;
    }

    /**
     * Whether Moodle would take this as an email address. Deliberately lenient (Moodle's own check
     * is PHPMailer's): it only catches what is surely refused, so a valid address is never held back.
     */
    static boolean plausibleEmail(String email) {
        if (email == null || email.isBlank() || email.length() > 100 || email.chars().anyMatch(c -> Character.isWhitespace(c) || c == '<' || c == '>')) {
            return false;
        }
        int at = email.lastIndexOf('@');
        return at > 0 && at == email.indexOf('@') && email.indexOf('.', at) > at + 1 && !email.endsWith(".");
    }
}
