/// Why a use case refused: what every way in (the JSON API, the web app, webhooks) turns into its
/// own answer. The API maps `kind` to a status (404, 403, 409, 422) and keeps `code` and `message`.
public struct UseCaseError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// There is no such thing (or it is gone).
        case notFound
        /// The access table refuses this key.
        case forbidden
        /// The thing's state does not allow it now (completed, on hold, in use elsewhere).
        case conflict
        /// Well-formed input with values the rules do not accept.
        case invalid
        /// The caller's version (`If-Match`) is not the current one: someone changed it meanwhile.
        case preconditionFailed
    }

    public var kind: Kind
    /// Stable machine-readable code, documented in docs/openapi.yaml.
    public var code: String
    public var message: String

    public init(_ kind: Kind, code: String, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func notFound(_ what: String) -> UseCaseError { UseCaseError(.notFound, code: "not_found", message: "\(what) not found") }
    public static func forbidden(_ message: String, code: String = "forbidden") -> UseCaseError { UseCaseError(.forbidden, code: code, message: message) }
    public static func conflict(_ code: String, _ message: String) -> UseCaseError { UseCaseError(.conflict, code: code, message: message) }
    public static func invalid(_ code: String, _ message: String) -> UseCaseError { UseCaseError(.invalid, code: code, message: message) }
    /// Someone changed the thing since the caller read it (`current`: its version now, when known).
    public static func changedMeanwhile(_ current: Int?) -> UseCaseError {
        UseCaseError(
            .preconditionFailed, code: "version_mismatch",
            message: "the report was changed since you read it\(current.map { " (it is at version \($0) now)" } ?? ""): read it again and reapply your change"
        )
    }
}
