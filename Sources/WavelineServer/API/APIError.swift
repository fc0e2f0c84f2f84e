import Foundation
import Hummingbird
import Logging
import NIOCore
import WavelineAPI
import WavelineEngine

/// An error answered as JSON in the one shape of the API: `{"error": {"status": 400, "message": "..."}}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    /// Sent with the error (`Allow` on a 405).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public init(_ error: EngineError) {
        switch error.kind {
        // The request had the API's shape, but what it asks is not valid here (unknown operation, a parameter the
        // operation refuses, a missing ticket): 422. A 400 means the request itself is malformed.
        case .invalidRequest: self.init(.unprocessableContent, error.message)
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        case .internalFailure: self.init(.internalServerError, error.message)
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorBody(error: .init(status: Int(status.code), message: message))
        let data = (try? JSONEncoder().encode(body)) ?? Data("{}".utf8)
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Turns every error into the API's JSON shape: framework errors keep their status and get a clear message;
/// anything unexpected is logged and answered 500 without internals.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    /// The API's routes: a path the API serves with other methods answers 405, not 404.
    var routes: RouteTable?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            // Never masked: a message quotes what the caller sent as sent, so that where `********` would
            // appear cannot tell the caller which of their guesses is a secret. Text from nodes and steps
            // reaches messages only through the store, where it was masked when written.
            throw error
        } catch let error as EngineError {
            throw APIError(error)
        } catch let error as HTTPError {
            let message: String
            // The router's "not found" for a path it serves with other methods: a wrong method, not a wrong path.
            if error.status == .notFound, let allowed = routes?.methods(for: request.uri.path), !allowed.isEmpty,
               !allowed.contains(request.method.rawValue) {
                var refusal = APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path); it takes \(allowed.joined(separator: ", "))")
                refusal.headers[.allow] = allowed.joined(separator: ", ")
                throw refusal
            }
            switch error.status {
            case .notFound: message = "no such route: \(request.method.rawValue) \(request.uri.path)"
            case .contentTooLarge: message = "the request body is too large (limit \(context.maxUploadSize) bytes)"
            case .methodNotAllowed: message = "\(request.method.rawValue) is not allowed on \(request.uri.path)"
            default: message = error.body ?? error.status.reasonPhrase
            }
            throw APIError(error.status, message)
        } catch let error as any HTTPResponseError {
            let message = error.status == .contentTooLarge
                ? "the request body is too large (limit \(context.maxUploadSize) bytes)"
                : error.status.reasonPhrase
            throw APIError(error.status, message)
        } catch {
            logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            throw APIError(.internalServerError, "internal error; the server log has the details")
        }
    }
}
