import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import UseCases

/// The web app's cookies and the headers every page carries.
enum WebCookies {
    /// The session token (HttpOnly, SameSite=Strict, Path=/): the browser's key.
    static let session = "walkaround_session"
    /// The sign-in form's token, checked against the form's hidden field (login CSRF: a
    /// third-party page cannot sign a browser in to an attacker's key).
    static let signIn = "walkaround_signin"
    /// The header scripts send the session's CSRF token in.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }

    /// Whether the browser reached us over TLS: the request's own scheme, or (behind
    /// `trustedProxies` proxies, as the Ingress) their `X-Forwarded-Proto`.
    static func isSecure(_ request: Request, trustedProxies: Int) -> Bool {
        if request.uri.scheme == .https { return true }
        guard trustedProxies > 0, let proto = request.headers[HTTPField.Name("X-Forwarded-Proto")!] else { return false }
        return proto.split(separator: ",").last?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    /// The client's address for sign-in limits: the peer, or behind `trustedProxies` proxies the
    /// entry that many from the right of `X-Forwarded-For` (the one our own proxy wrote; entries
    /// left of it are the client's word and not trusted).
    static func clientAddress(_ request: Request, context: WalkaroundRequestContext, trustedProxies: Int) -> String {
        if trustedProxies > 0, let header = request.headers[HTTPField.Name("X-Forwarded-For")!] {
            let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if hops.count >= trustedProxies, !hops[hops.count - trustedProxies].isEmpty { return String(hops[hops.count - trustedProxies].prefix(64)) }
        }
        return context.remoteAddress?.ipAddress ?? "unknown"
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int, path: String = "/", secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }
}

extension Response {
    /// A page of the web app: HTML, never cached, a strict Content-Security-Policy (no inline
    /// script or style, nothing from another origin), no framing, no referrer, no sniffing.
    static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        WebHeaders.apply(to: &headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 303 to `location` (after a form's POST).
    static func seeOther(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        WebHeaders.apply(to: &headers)
        return Response(status: .seeOther, headers: headers)
    }
}

enum WebHeaders {
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "connect-src 'self'",
        "manifest-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    static func apply(to headers: inout HTTPFields) {
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Permissions-Policy")!] = "camera=(self), geolocation=(), microphone=()"
    }
}
