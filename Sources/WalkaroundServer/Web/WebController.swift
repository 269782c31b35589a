import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Pipeline
import Storage
import UseCases
import WalkaroundCore

/// The web app's pages, served by `serve` beside the JSON API: sign-in and sign-out (a session
/// cookie for a key), the station's capture app at `/app`, the review desk at `/desk`, and their
/// scripts and styles from the binary's resources. The pages call the JSON API with the
/// session's cookie and CSRF token, so every rule stays in the use cases behind it.
struct WebController: Sendable {
    let sessions: SessionUseCases
    let limiter: RateLimiter
    /// Proxies in front of the server whose `X-Forwarded-*` headers are trusted (1 behind the Ingress).
    let trustedProxies: Int

    func addRoutes(to router: Router<WalkaroundRequestContext>) {
        router.get("app/signin", use: signInPage)
        router.post("app/signin", use: signIn)
        router.post("app/signout", use: signOut)
        router.get("app", use: capture)
        router.get("desk", use: desk)
        router.get("assets/:name", use: asset)
    }

    // MARK: Sign-in

    @Sendable func signInPage(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        if let session = try await currentSession(request), request.uri.queryParameters["again"] == nil {
            return .seeOther(home(of: session))
        }
        return signInForm(request, message: nil, status: .ok)
    }

    /// The form with a fresh login-CSRF token in a cookie and a hidden field.
    private func signInForm(_ request: Request, message: WebText.Key?, status: HTTPResponse.Status) -> Response {
        let (language, chosen) = WebText.language(of: request)
        let text = WebText(language: language)
        let token = WebSessionRepository.randomToken()
        let body = """
            <section class="card narrow">
            <h1>\(HTML.escape(text[.signInTitle]))</h1>
            <p>\(HTML.escape(text[.signInIntro]))</p>
            \(message.map { #"<p class="error" role="alert" id="sign-in-error">\#(HTML.escape(text[$0]))</p>"# } ?? "")
            <form method="post" action="/app/signin" autocomplete="off">
            <input type="hidden" name="csrf" value="\(token)">
            <label for="key">\(HTML.escape(text[.keyLabel]))</label>
            <input id="key" name="key" type="password" required maxlength="256" autocomplete="current-password" spellcheck="false"\(message == nil ? "" : #" aria-describedby="sign-in-error""#)>
            <button type="submit">\(HTML.escape(text[.signInButton]))</button>
            </form>
            </section>
            """
        var response = Response.page(WebPage.render(title: text[.signInTitle], text: text, session: nil, body: body), status: status)
        let secure = WebCookies.isSecure(request, trustedProxies: trustedProxies)
        response.setCookie(WebCookies.cookie(WebCookies.signIn, token, maxAge: 3600, path: "/app/signin", secure: secure))
        if chosen { response.setCookie(WebCookies.cookie(WebText.languageCookie, language.rawValue, maxAge: 31_536_000, secure: secure)) }
        return response
    }

    @Sendable func signIn(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let form = try await WebForm.read(request, context: context)
        guard let expected = request.cookies[WebCookies.signIn]?.value, let given = form["csrf"], SessionUseCases.constantTimeEqual(expected, given) else {
            return signInForm(request, message: .signInExpired, status: .forbidden)
        }
        let client = WebCookies.clientAddress(request, context: context, trustedProxies: trustedProxies)
        if let wait = await limiter.signInWait(from: client) {
            var response = signInForm(request, message: .signInLimited, status: .tooManyRequests)
            response.headers[.retryAfter] = "\(wait.components.seconds)"
            return response
        }
        let token: String, session: SessionUseCases.Session
        do {
            (token, session) = try await sessions.signIn(secret: form["key"] ?? "", logger: context.logger)
        } catch let error as UseCaseError where error.code == "sign_in_failed" {
            await limiter.signInFailed(from: client)
            return signInForm(request, message: .signInFailed, status: .unauthorized)
        }
        // Signing in again (another key on this browser) ends the session it had.
        if let previous = request.cookies[WebCookies.session]?.value { try? await sessions.signOut(token: previous) }
        var response = Response.seeOther(home(of: session))
        let secure = WebCookies.isSecure(request, trustedProxies: trustedProxies)
        response.setCookie(WebCookies.cookie(WebCookies.session, token, maxAge: Int(sessions.lifetime), secure: secure))
        response.setCookie(WebCookies.cookie(WebCookies.signIn, "", maxAge: 0, path: "/app/signin", secure: secure))
        return response
    }

    @Sendable func signOut(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let form = try await WebForm.read(request, context: context)
        let secure = WebCookies.isSecure(request, trustedProxies: trustedProxies)
        guard let token = request.cookies[WebCookies.session]?.value, let session = try await sessions.session(token: token) else {
            var response = Response.seeOther("/app/signin")
            response.setCookie(WebCookies.cookie(WebCookies.session, "", maxAge: 0, secure: secure))
            return response
        }
        guard SessionUseCases.csrfMatches(form["csrf"], session) else {
            throw APIError(.forbidden, code: "csrf_failed", message: "the sign-out form's CSRF token does not match the session")
        }
        try await sessions.signOut(token: token)
        var response = Response.seeOther("/app/signin")
        response.setCookie(WebCookies.cookie(WebCookies.session, "", maxAge: 0, secure: secure))
        return response
    }

    // MARK: The apps

    /// The station's capture app; a reviewer goes to the desk, no session to the sign-in page.
    @Sendable func capture(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        guard let session = try await currentSession(request) else { return .seeOther("/app/signin") }
        guard session.key.role == .station else { return .seeOther("/desk") }
        let text = WebText(language: WebText.language(of: request).0)
        let body = """
            <section id="capture" class="card" data-station="\(HTML.escape(session.key.station ?? ""))"><noscript>JavaScript is needed to take photos.</noscript></section>
            <script type="application/json" id="strings">\(text.captureJSON)</script>
            """
        return .page(WebPage.render(title: text[.captureTitle], text: text, session: session, body: body, script: "capture.js"))
    }

    /// The review desk: reviewer and admin keys; a station's key gets 403.
    @Sendable func desk(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        guard let session = try await currentSession(request) else { return .seeOther("/app/signin") }
        let text = WebText(language: WebText.language(of: request).0)
        guard Access.allows(session.key, .read, .inspection, station: nil) else {
            let body = #"<section class="card narrow"><h1>\#(HTML.escape(text[.forbiddenTitle]))</h1><p>\#(HTML.escape(text[.forbiddenText]))</p></section>"#
            return .page(WebPage.render(title: text[.forbiddenTitle], text: text, session: session, body: body), status: .forbidden)
        }
        let body = """
            <section id="desk" class="card"><noscript>JavaScript is needed for the review desk.</noscript></section>
            <script type="application/json" id="strings">\(text.deskJSON)</script>
            <script type="application/json" id="parts">\(WebText.partsJSON)</script>
            """
        return .page(WebPage.render(title: text[.deskTitle], text: text, session: session, body: body, script: "desk.js"))
    }

    // MARK: Assets

    /// The scripts and styles, from the binary's resources: cached for a day (pages name them
    /// with the build's version), ETag for revalidation.
    @Sendable func asset(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        guard let name = context.parameters.get("name"), let asset = WebAssets.shared[name] else { throw APIError.notFound("asset") }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "public, max-age=86400"
        headers[.eTag] = asset.etag
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    private func currentSession(_ request: Request) async throws -> SessionUseCases.Session? {
        guard let token = request.cookies[WebCookies.session]?.value else { return nil }
        return try await sessions.session(token: token)
    }

    private func home(of session: SessionUseCases.Session) -> String {
        session.key.role == .station ? "/app" : "/desk"
    }
}

/// The frame of every page: language switch, sign-out, the page's script.
enum WebPage {
    static func render(title: String, text: WebText, session: SessionUseCases.Session?, body: String, script: String? = nil) -> String {
        let languages = ReportLanguage.allCases.map { language in
            language == text.language
                ? #"<a aria-current="true" lang="\#(language.rawValue)">\#(language.rawValue.uppercased())</a>"#
                : #"<a href="?lang=\#(language.rawValue)" lang="\#(language.rawValue)" hreflang="\#(language.rawValue)">\#(language.rawValue.uppercased())</a>"#
        }.joined(separator: " ")
        let signOut = session.map { session in
            """
            <form method="post" action="/app/signout" class="sign-out"><input type="hidden" name="csrf" value="\(HTML.escape(session.csrfToken))">\
            <button type="submit">\(HTML.escape(text[.signOut]))</button></form>
            """
        } ?? ""
        let version = WebAssets.shared.version
        return """
            <!doctype html>
            <html lang="\(text.language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · \(HTML.escape(text[.appName]))</title>
            <link rel="stylesheet" href="/assets/app.css?v=\(version)">
            \(session.map { #"<meta name="csrf-token" content="\#(HTML.escape($0.csrfToken))">"# } ?? "")
            \(session.map { #"<meta name="walkaround-role" content="\#($0.key.role.rawValue)">"# } ?? "")
            </head>
            <body>
            <header class="top">
            <span class="brand">\(HTML.escape(text[.appName]))</span>
            <nav class="languages" aria-label="\(HTML.escape(text[.languageLabel]))">\(languages)</nav>
            \(signOut)
            </header>
            <main id="main">
            \(body)
            </main>
            \(script.map { ["common.js", $0].map { #"<script src="/assets/\#($0)?v=\#(version)" defer></script>"# }.joined(separator: "\n") } ?? "")
            </body>
            </html>
            """
    }
}

/// A urlencoded form body (`application/x-www-form-urlencoded`, at most 16 KiB).
enum WebForm {
    static func read(_ request: Request, context: WalkaroundRequestContext) async throws -> [String: String] {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "a form is application/x-www-form-urlencoded")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 16 << 10)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "a form is at most 16 KiB")
        }
        return parse(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first.map(decode), !name.isEmpty, fields[name] == nil else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

}

/// The web app's files (Resources/web), read once.
struct WebAssets: Sendable {
    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
        var etag: String
    }

    static let shared = WebAssets()
    let files: [String: Asset]
    /// Changes when any file does: pages name assets with it, so a day's caching never serves an old file.
    let version: String

    init() {
        var files: [String: Asset] = [:]
        let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml", "json": "application/json"]
        if let folder = Bundle.module.resourceURL?.appendingPathComponent("web"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        {
            for name in names {
                guard let type = types[(name as NSString).pathExtension], let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
                let digest = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
                files[name] = Asset(bytes: [UInt8](data), contentType: type, etag: "\"\(digest)\"")
            }
        }
        self.files = files
        let all = files.keys.sorted().map { $0 + (files[$0]?.etag ?? "") }.joined()
        version = SHA256.hash(data: Data(all.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    subscript(_ name: String) -> Asset? { files[name] }
}
