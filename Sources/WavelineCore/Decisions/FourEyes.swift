/// A change to a protected environment needs two people: the one who asked, and another who approves (the
/// deployment before it starts, and each of its manual gates).
public enum FourEyes {
    /// Whether `approver` may approve what `requester` asked, on a deployment touching `protected` environments.
    public static func allows(approver: String, requester: String, protected: [String]) -> Bool {
        protected.isEmpty || approver != requester
    }
}
