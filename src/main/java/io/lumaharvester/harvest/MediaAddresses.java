package io.lumaharvester.harvest;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

/**
 * The addresses the media client may connect to. The provider's answer names the hosts, so an allowed name that
 * resolves to a loopback, link-local, private or otherwise internal address (a DNS record pointed inward, or one that
 * changes between a check and the connection) would reach the pod's own network. The client connects only to what
 * this resolver returns, on every connection and every redirect, so the check and the connection see the same
 * address. {@code luma.harvest.allow-private-addresses=true} turns it off (dev mode, stand-ins on 127.0.0.1, a CDN
 * inside the company network).
 */
public final class MediaAddresses implements DnsResolver {

    /** Every address of the host is internal. */
    public static final class PrivateAddressException extends UnknownHostException {
        PrivateAddressException(String message) {
            super(message);
        }
    }

    private final DnsResolver system;
    private final boolean allowPrivate;

    public MediaAddresses(boolean allowPrivate) {
        this(SystemDefaultDnsResolver.INSTANCE, allowPrivate);
    }

    MediaAddresses(DnsResolver system, boolean allowPrivate) {
        this.system = system;
        this.allowPrivate = allowPrivate;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = system.resolve(host);
        if (allowPrivate) {
            return addresses;
        }
        InetAddress[] public_ = Arrays.stream(addresses).filter(a -> !internal(a)).toArray(InetAddress[]::new);
        if (public_.length == 0) {
            throw new PrivateAddressException(host + " resolves only to internal addresses ("
                    + Arrays.stream(addresses).map(InetAddress::getHostAddress).toList()
                    + "), which are refused unless luma.harvest.allow-private-addresses=true");
        }
        return public_;
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        return system.resolveCanonicalHostname(host);
    }

    /** Loopback, link-local, private (RFC 1918, IPv6 unique-local), carrier-grade NAT, unspecified or multicast. */
    static boolean internal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress() || address.isSiteLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return true;
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address) {
            return (bytes[0] & 0xfe) == 0xfc;
        }
        return (bytes[0] & 0xff) == 100 && (bytes[1] & 0xc0) == 64;
    }
}
