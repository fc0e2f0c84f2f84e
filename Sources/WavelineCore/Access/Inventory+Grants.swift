extension Inventory {
    /// What in `grant` names an environment or product the inventory does not define, one sentence each with a
    /// "did you mean" when a defined name is close: a grant to a misspelt scope would otherwise give nothing,
    /// silently, or later give what a new environment of that name holds.
    public func unknownScopes(in grant: Grant) -> [String] {
        func check(_ names: [String], kind: String, known: [String]) -> [String] {
            names.filter { !known.contains($0) }.map { name in
                var message = "grant '\(grant)' names \(kind) '\(name)', which the inventory does not define; "
                    + "known \(kind)s: \(known.listedForMessage)"
                if let guess = closestMatch(to: name, among: known) { message += " (did you mean '\(guess)'?)" }
                return message
            }
        }
        return check(grant.environments, kind: "environment", known: environments.map(\.name))
            + check(grant.products, kind: "product", known: products.map(\.name))
    }
}
