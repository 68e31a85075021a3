package io.lumaharvester.harvest;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which media URLs may be fetched. The provider's answer names them, so it is untrusted: only the listed schemes
 * and hosts ({@code *.example.com} for a suffix), and an IP literal only when it is listed itself. An entry without a
 * port allows only the scheme's default port (443 for https, 80 for http); {@code host:port} allows that port only
 * ({@code [::1]:8443} for an IPv6 literal), so an allowed name cannot reach another service on the same machine.
 */
public class MediaPolicy {

    private static final Set<String> NEVER = Set.of("file", "ftp", "jar");

    private static final int DEFAULT_PORT = -1;

    /** One entry of the allow-list: a host (or {@code *.suffix}) and a port, {@link #DEFAULT_PORT} for the scheme's. */
    record Entry(String host, int port) {

        static Entry parse(String entry) {
            int colon = entry.lastIndexOf(':');
            // a bare IPv6 literal ([::1]) has colons but no port
            if (colon < 0 || entry.startsWith("[") && colon < entry.lastIndexOf(']')) {
                return new Entry(entry, DEFAULT_PORT);
            }
            int port;
            try {
                port = Integer.parseInt(entry.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = 0;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("luma.harvest.allowed-hosts: '" + entry + "' is not host or "
                        + "host:port (a port is a number, 1-65535)");
            }
            return new Entry(entry.substring(0, colon), port);
        }

        boolean matches(String urlHost, int urlPort, int schemeDefaultPort) {
            boolean hostMatches = host.startsWith("*.") ? urlHost.endsWith(host.substring(1)) : urlHost.equals(host);
            return hostMatches && urlPort == (port == DEFAULT_PORT ? schemeDefaultPort : port);
        }
    }

    private final Set<String> schemes;
    private final List<Entry> hosts;

    public MediaPolicy(String allowedHosts, String allowedSchemes) {
        this.hosts = split(allowedHosts).stream().map(Entry::parse).toList();
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
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return "no host";
        }
        if (uri.getRawUserInfo() != null) {
            return "user info in the URL is not allowed";
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int defaultPort = "https".equals(scheme) ? 443 : "http".equals(scheme) ? 80 : DEFAULT_PORT;
        int port = uri.getPort() == -1 ? defaultPort : uri.getPort();
        String hostAndPort = host + ":" + port;
        if (isIpLiteral(host)) {
            // a listed IP literal is matched exactly, never as a suffix
            return hosts.stream().anyMatch(e -> e.host().equals(host) && e.matches(host, port, defaultPort)) ? null
                    : "IP address " + hostAndPort + " is not listed";
        }
        return hosts.stream().anyMatch(e -> e.matches(host, port, defaultPort)) ? null
                : "host " + hostAndPort + " is not allowed";
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
