/// Catalog entries of the in-process suites (YAML, as a person writes them).
enum Operations {
    /// One step that writes its parameter to the node's journal and a line to its log.
    static let quick = """
        name: quick
        parameters:
          - {name: mode, type: enum, values: [fast, full], default: fast}
        steps:
          - {name: mark, shell: 'echo "$WAVELINE_PARAM_MODE" >> journal; echo "marked $WAVELINE_NODE"'}
        """

    /// One step that waits until the test puts a `go` file in the node's folder (`Workbench.release`), so a test
    /// acts on a deployment while it surely runs.
    static let gated = """
        name: gated
        steps:
          - {name: work, shell: 'echo "work start" >> journal; while [ ! -f go ]; do sleep 0.02; done; echo "work end" >> journal'}
        """
}
