import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import NIOCore
import Storage
import UseCases
import WalkaroundCore

/// The renter's link: reviewers make and revoke links to a final report (`/v1/.../renter-links`)
/// and read the disputes; the link itself (`/r/{token}`, no key) opens the report's charged
/// damages with their evidence, and takes a dispute per damage.
struct RenterController: Sendable {
    let useCases: RenterUseCases
    let decoder: PhotoDecoder
    let imageWork: ImageWork

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.post("inspections/:id/renter-links", use: createLink)
        group.get("inspections/:id/renter-links", use: links)
        group.post("inspections/:id/renter-links/:link/revoke", use: revokeLink)
        group.get("inspections/:id/disputes", use: disputes)
    }

    func addPublicRoutes(to router: Router<WalkaroundRequestContext>) {
        router.get("r/:token", use: page)
        router.get("r/:token/evidence/:damage/:side", use: evidence)
        router.post("r/:token/disputes", use: dispute)
    }

    // MARK: Reviewers (JSON API)

    struct LinkResource: ResponseCodable {
        var id: String
        var url: String?
        var createdAt: Date
        var expiresAt: Date
        var revokedAt: Date?

        init(_ link: RenterLink, token: String? = nil) {
            id = link.id.apiString
            url = token.map { "/r/" + $0 }
            createdAt = link.createdAt
            expiresAt = link.expiresAt
            revokedAt = link.revokedAt
        }
    }

    struct LinkPage: ResponseCodable {
        var items: [LinkResource]
    }

    struct DisputeResource: ResponseCodable {
        var id: String
        var damage: String
        var text: String
        var createdAt: Date
    }

    struct DisputePage: ResponseCodable {
        var items: [DisputeResource]
    }

    struct CreateLink: Decodable {
        var days: Int?
    }

    /// `POST /v1/inspections/{id}/renter-links`: 201 with the link's URL (shown only here).
    @Sendable func createLink(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<LinkResource> {
        let key = try context.requireKey()
        let hasBody = (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0 || request.headers[.contentType] != nil
        let days = hasBody ? try await request.decodeJSON(as: CreateLink.self, context: context).days : nil
        let (link, token) = try await useCases.createLink(InspectionsController.id(context), days: days, by: key, logger: context.logger)
        return EditedResponse(status: .created, response: LinkResource(link, token: token))
    }

    @Sendable func links(request: Request, context: WalkaroundRequestContext) async throws -> LinkPage {
        LinkPage(items: try await useCases.links(of: InspectionsController.id(context), by: context.requireKey()).map { LinkResource($0) })
    }

    @Sendable func revokeLink(request: Request, context: WalkaroundRequestContext) async throws -> LinkResource {
        let link = try InspectionsController.parseID(context.parameters.require("link"))
        return LinkResource(try await useCases.revokeLink(link, of: InspectionsController.id(context), by: context.requireKey(), logger: context.logger))
    }

    @Sendable func disputes(request: Request, context: WalkaroundRequestContext) async throws -> DisputePage {
        let items = try await useCases.disputes(of: InspectionsController.id(context), by: context.requireKey())
        return DisputePage(items: items.map { DisputeResource(id: $0.id.apiString, damage: $0.damage, text: $0.text, createdAt: $0.createdAt) })
    }

    // MARK: The renter (no key: the link is the credential)

    @Sendable func page(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let text = WebText(language: WebText.language(of: request).0)
        let view: RenterUseCases.View
        do {
            view = try await useCases.view(token: token)
        } catch let error as UseCaseError where error.code == RenterUseCases.invalidLink.code {
            return Self.refused(text)
        }
        return .page(RenterPage.render(view, token: token, text: text, contested: request.uri.queryParameters["contested"].map(String.init)))
    }

    @Sendable func evidence(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let damage = try ReportsController.damageID(context)
        guard let side = DamageEvidence.Side(rawValue: try context.parameters.require("side")) else { throw APIError.notFound("evidence side") }
        let evidence = try await useCases.evidence(token: token, damage: damage, side: side)
        guard let jpeg = try await ReportsController.evidenceJPEG(evidence, side: side, decoder: decoder, imageWork: imageWork) else {
            throw APIError.unprocessable("unreadable_photo", "the photo of this evidence cannot be decoded")
        }
        var headers: HTTPFields = [.contentType: "image/jpeg", .cacheControl: "private, max-age=300"]
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
    }

    /// A dispute from the page's form; 303 back to the page, which says it was received.
    @Sendable func dispute(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        let text = WebText(language: WebText.language(of: request).0)
        let form = try await WebForm.read(request, context: context)
        let damage = form["damage"] ?? ""
        do {
            _ = try await useCases.dispute(token: token, damage: damage, text: form["text"] ?? "", logger: context.logger)
        } catch let error as UseCaseError where error.code == RenterUseCases.invalidLink.code {
            return Self.refused(text)
        } catch let error as UseCaseError {
            let body = #"<section class="card narrow"><h1>\#(HTML.escape(text[.renterTitle]))</h1><p class="error" role="alert">\#(HTML.escape(error.message))</p><p><a href="/r/\#(HTML.escape(token))">\#(HTML.escape(text[.renterBack]))</a></p></section>"#
            let status: HTTPResponse.Status = switch error.kind {
            case .invalid: .unprocessableContent
            case .notFound: .notFound
            default: .conflict
            }
            return .page(WebPage.render(title: text[.renterTitle], text: text, session: nil, body: body), status: status)
        }
        let encoded = damage.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return .seeOther("/r/\(token.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "")?contested=\(encoded)")
    }

    /// The one answer for a link that is not ours, expired, revoked or altered.
    static func refused(_ text: WebText) -> Response {
        let body = #"<section class="card narrow"><h1>\#(HTML.escape(text[.renterRefusedTitle]))</h1><p>\#(HTML.escape(text[.renterRefused]))</p></section>"#
        return .page(WebPage.render(title: text[.renterRefusedTitle], text: text, session: nil, body: body), status: .notFound)
    }
}

/// The renter's page: the final report's charged damages, each with its check-out and return
/// crops and a way to contest it; the total; the station and times; the signature's fingerprint.
enum RenterPage {
    static func render(_ view: RenterUseCases.View, token: String, text: WebText, contested: String?) -> String {
        let report = view.report
        let words = text.vocabulary
        let escapedToken = HTML.escape(token)
        let disputed = Set(view.disputes.map(\.damage))
        func day(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: text.language.rawValue)
            formatter.dateStyle = .medium
            formatter.timeStyle = .short
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: date) + " UTC"
        }
        let lines = Dictionary((view.estimate?.lines ?? []).map { ($0.damage, $0) }, uniquingKeysWith: { first, _ in first })
        func money(_ minor: Int, _ currency: String) -> String {
            let formatter = NumberFormatter()
            formatter.numberStyle = .currency
            formatter.locale = Locale(identifier: text.language.rawValue)
            formatter.currencyCode = currency
            return formatter.string(from: NSDecimalNumber(decimal: Decimal(minor) / 100)) ?? "\(minor) \(currency)"
        }
        var damages = ""
        for damage in view.charged {
            let name = [words["class_" + damage.className], damage.part.flatMap { words["part_" + $0.rawValue] }, words["severity_" + damage.severity.rawValue]]
                .compactMap { $0 }.joined(separator: " · ")
            let cost = lines[damage.id].flatMap { line in line.amountMinor.map { money($0, view.estimate?.currency ?? "EUR") } }
            let already = disputed.contains(damage.id)
            damages += """
                <li class="damage" data-damage="\(HTML.escape(damage.id))">
                <h3>\(HTML.escape(damage.id)) · \(HTML.escape(name))\(cost.map { " · " + HTML.escape($0) } ?? "")</h3>
                <div class="evidence">
                <figure><img src="/r/\(escapedToken)/evidence/\(HTML.escape(damage.id))/checkout" alt="\(HTML.escape(text[.renterBefore]))"><figcaption>\(HTML.escape(text[.renterBefore]))</figcaption></figure>
                <figure><img src="/r/\(escapedToken)/evidence/\(HTML.escape(damage.id))/return" alt="\(HTML.escape(text[.renterAfter]))"><figcaption>\(HTML.escape(text[.renterAfter]))</figcaption></figure>
                </div>
                \(already ? #"<p class="warn">\#(HTML.escape(text[.renterContested]))</p>"# : """
                <form method="post" action="/r/\(escapedToken)/disputes" class="inline-form">
                <input type="hidden" name="damage" value="\(HTML.escape(damage.id))">
                <label for="why-\(HTML.escape(damage.id))">\(HTML.escape(text[.renterWhy]))</label>
                <textarea id="why-\(HTML.escape(damage.id))" name="text" maxlength="1000" rows="3" required></textarea>
                <button type="submit" class="secondary">\(HTML.escape(text[.renterContest]))</button>
                </form>
                """)
                </li>
                """
        }
        let compared = report.comparedWith.map { "<p>\(HTML.escape(text[.renterComparedWith])) \(HTML.escape($0.station)), \(HTML.escape(day($0.createdAt)))</p>" } ?? ""
        let body = """
            <section class="card" id="renter">
            <h1>\(HTML.escape(text[.renterTitle])) · \(HTML.escape(report.vehicle.plate ?? ""))</h1>
            \(contested.map { _ in #"<p class="ok" role="status" id="received">\#(HTML.escape(text[.renterReceived]))</p>"# } ?? "")
            <p>\(HTML.escape(text[.renterReturned])) \(HTML.escape(report.inspection.station)), \(HTML.escape(day(report.inspection.createdAt)))</p>
            \(compared)
            \(view.charged.isEmpty ? #"<p>\#(HTML.escape(text[view.stored.review.state == .final ? .renterNothing : .renterInReview]))</p>"# : #"<ol class="damages">\#(damages)</ol>"#)
            \(view.estimate.map { #"<p id="total"><strong>\#(HTML.escape(text[.renterTotal])): \#(HTML.escape(money($0.totalMinor, $0.currency)))</strong></p>"# } ?? "")
            \(view.fingerprint.map { #"<p class="muted" id="fingerprint">\#(HTML.escape(text[.renterSigned])) \#(HTML.escape($0.keyID)) · SHA-256 \#(HTML.escape($0.digest))</p>"# } ?? "")
            </section>
            """
        return WebPage.render(title: text[.renterTitle], text: text, session: nil, body: body)
    }
}
