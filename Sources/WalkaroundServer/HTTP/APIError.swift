import Foundation
import HTTPTypes
import Hummingbird
import UseCases

/// An error a client caused, answered as `{"error": {"code", "message"}}` with its status.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// Stable machine-readable code, documented in docs/openapi.yaml.
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(ErrorBody(error: .init(code: code, message: message)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}

extension APIError {
    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message: message) }
    static func unprocessable(_ code: String, _ message: String) -> APIError { APIError(.unprocessableContent, code: code, message: message) }
    static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code: code, message: message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, code: "not_found", message: "\(what) not found") }
    static let unauthorized: APIError = {
        var error = APIError(.unauthorized, code: "unauthorized", message: "missing or invalid API key: send Authorization: Bearer <key>")
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }()
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message: message) }
}

extension APIError {
    /// A use case's refusal as the API answers it: the same code and message, the status its kind means.
    init(_ error: UseCaseError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .notFound: .notFound
            case .forbidden: .forbidden
            case .conflict: .conflict
            case .invalid: .unprocessableContent
            case .preconditionFailed: .preconditionFailed
            }
        self.init(status, code: error.code, message: error.message)
    }
}

