/// The one shape of every error response: `{"error": {"status": …, "message": …}}`.
public struct ErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var status: Int
        public var message: String

        public init(status: Int, message: String) {
            self.status = status
            self.message = message
        }
    }
    public var error: Detail

    public init(error: Detail) {
        self.error = error
    }
}
