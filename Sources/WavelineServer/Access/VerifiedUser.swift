import WavelineCore

/// A user whose password was just checked (`IdentityService.verify`): who they are, and which password hash
/// was checked, so a session or token made from it is refused when the password changed meanwhile.
public struct VerifiedUser: Sendable {
    public let name: String
    public let grants: [Grant]
    /// The bcrypt hash the password was checked against; never leaves the identity service's checks.
    let passwordHash: String
}
