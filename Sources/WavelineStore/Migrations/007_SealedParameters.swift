extension Migration {
    /// `sealed_parameters`: the real values of a deployment's parameters that are shown as `********`
    /// (sensitive ones, values equal to a secret), sealed by the engine; NULL when none.
    static let m007SealedParameters = Migration(version: 7, name: "sealed parameters", statements: [
        "ALTER TABLE deployments ADD COLUMN sealed_parameters TEXT",
    ])
}
