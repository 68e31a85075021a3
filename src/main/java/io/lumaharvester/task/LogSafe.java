package io.lumaharvester.task;

/**
 * Makes text from outside (the provider's {@code state} and {@code failure_reason}, exception messages that quote a
 * URL) safe to put in a log line: a CR or LF in it would start a forged line. Control characters and Unicode line
 * separators are escaped Java-style ({@code \r}, {@code \n}, {@code \t}, else {@code \}{@code uXXXX}), a backslash is
 * doubled so that an escape cannot be faked, and the result is capped at {@value #MAX_CHARS} characters.
 */
public final class LogSafe {

    public static final int MAX_CHARS = 300;

    private LogSafe() {
    }

    public static String text(String raw) {
        if (raw == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(raw.length(), MAX_CHARS) + 16);
        int i = 0;
        // a low surrogate still follows its high one: the cut never splits a character
        for (; i < raw.length() && (out.length() < MAX_CHARS || Character.isLowSurrogate(raw.charAt(i))); i++) {
            char c = raw.charAt(i);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (i < raw.length()) {
            out.append("...(").append(raw.length() - i).append(" more chars)");
        }
        return out.toString();
    }
}
