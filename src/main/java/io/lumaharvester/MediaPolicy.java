package io.lumaharvester;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which media URLs may be fetched. The provider's answer names them, so it is untrusted: only the listed schemes
 * and hosts ({@code *.example.com} for a suffix), and an IP literal only when it is listed itself.
 */
public class MediaPolicy {

    private static final Set<String> NEVER = Set.of("file", "ftp", "jar");

    private final Set<String> schemes;
    private final List<String> hosts;

    public MediaPolicy(String allowedHosts, String allowedSchemes) {
        this.hosts = split(allowedHosts).stream().toList();
        this.schemes = split(allowedSchemes).stream().filter(s -> !NEVER.contains(s)).collect(Collectors.toSet());
    }

    /** Null when the URL may be fetched, else why not. */
    public String refusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "not a valid URL";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!schemes.contains(scheme)) {
            return "scheme '" + scheme + "' is not allowed";
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return "no host";
        }
        if (uri.getRawUserInfo() != null) {
            return "user info in the URL is not allowed";
        }
        host = host.toLowerCase(Locale.ROOT);
        if (isIpLiteral(host)) {
            return hosts.contains(host) ? null : "IP address " + host + " is not listed";
        }
        for (String allowed : hosts) {
            if (allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : host.equals(allowed)) {
                return null;
            }
        }
        return "host " + host + " is not allowed";
    }

    public boolean allows(String url) {
        return refusal(url) == null;
    }

    private static boolean isIpLiteral(String host) {
        return host.startsWith("[") || host.matches("[0-9.]+");
    }

    private static Set<String> split(String list) {
        return Arrays.stream(list == null ? new String[0] : list.split(","))
                .map(s -> s.strip().toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }
}
