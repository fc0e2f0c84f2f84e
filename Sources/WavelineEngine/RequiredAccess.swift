import WavelineCore

/// What access a deployment request needs: the environment/product pairs it would act in, and the role its
/// operation requires there (see `Engine.requiredAccess(for:)`). Access control checks it before anything is
/// stored.
public struct RequiredAccess: Sendable, Hashable {
    public struct Place: Sendable, Hashable {
        public var environment: String
        public var product: String
        public init(environment: String, product: String) {
            self.environment = environment
            self.product = product
        }
    }

    public var places: [Place]
    public var requiredRole: Role
}
