import Foundation
import Testing
import WavelineCore

/// Whatever is in a file, reading it yields located diagnostics: never a crash, a hang or a stack trace.
@Suite("Garbage input")
struct GarbageInputTests {
    @Test func yamlSyntaxErrorIsLocated() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("op.yaml", """
            name: deploy
            steps:
              - name: install
                run: [a, b
              - name: restart
            """)
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        #expect(found.count == 1, "\(renderDiagnostics(found))")
        expectFileDiagnostic(found, file, 5, 9, exactly:
            "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 4, column 10)")
    }

    @Test func mappingValueInTheWrongPlaceIsLocated() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", "environments:\n  - name: prod: now\n")
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        #expect(found.count == 1, "\(renderDiagnostics(found))")
        expectFileDiagnostic(found, file, 2, 15, "YAML syntax error: mapping values are not allowed in this context")
    }

    @Test func duplicateKeyIsLocated() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("s.yaml", "name: a\nphases: []\nname: b\n")
        let found = thrownDiagnostics { try StrategyLoader.loadStrategy(file: file) }
        expectFileDiagnostic(found, file, 1, 1, exactly: "duplicate key 'name' in one mapping")
    }

    @Test func binaryIsNotText() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("bin.yaml", Data([0x6E, 0x3A, 0x0A, 0x00, 0xFF, 0xFE, 0x01, 0x80]))
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 2, 2, exactly: "the file is not UTF-8 text (invalid byte sequence)")
    }

    @Test func controlCharactersAreLocated() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("ctl.yaml", "name: op\nsteps: \u{1}\u{2}\u{7F}\n")
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        #expect(found.count == 1, "\(renderDiagnostics(found))")
        expectFileDiagnostic(found, file, 2, 8, "control characters are not allowed")
    }

    @Test func emptyAndCommentOnlyFilesAreReported() throws {
        let dir = try FilesTestDirectory()
        let empty = try dir.write("empty.yaml", "")
        let comments = try dir.write("comments.yaml", "# nothing here\n\n")
        expectFileDiagnostic(thrownDiagnostics { try InventoryLoader.load(paths: [empty]) }, empty, 1, 1, exactly: "the file is empty")
        expectFileDiagnostic(thrownDiagnostics { try CatalogLoader.loadOperation(file: comments) }, comments, 1, 1,
                         exactly: "the file is empty")
        expectFileDiagnostic(thrownDiagnostics { try StrategyLoader.loadStrategy(file: empty) }, empty, 1, 1,
                         exactly: "the file is empty")
    }

    @Test func topLevelListInsteadOfMapping() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("list.yaml", "- name: prod\n- name: test\n")
        expectFileDiagnostic(thrownDiagnostics { try InventoryLoader.load(paths: [file]) }, file, 1, 1,
                         exactly: "the inventory file must be a mapping, got a list")
        expectFileDiagnostic(thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }, file, 1, 1,
                         exactly: "an operation must be a mapping, got a list")
        expectFileDiagnostic(thrownDiagnostics { try StrategyLoader.loadStrategy(file: file) }, file, 1, 1,
                         exactly: "a strategy must be a mapping, got a list")
    }

    @Test func topLevelScalar() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("scalar.yaml", "just some words\n")
        expectFileDiagnostic(thrownDiagnostics { try InventoryLoader.load(paths: [file]) }, file, 1, 1,
                         exactly: "the inventory file must be a mapping, got 'just some words'")
    }

    @Test func secondDocumentIsRefused() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("two.yaml", "name: a\n---\nname: b\n")
        let found = thrownDiagnostics { try StrategyLoader.loadStrategy(file: file) }
        expectFileDiagnostic(found, file, 2, 1, "the file must hold a single YAML document")
    }

    @Test func deepNestingIsRefusedBeforeParsing() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("deep.yaml", "environments: " + String(repeating: "[", count: 100_000))
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 1, 15 + 256, exactly: "the file nests values more than 256 levels deep")
    }

    @Test func deepBlockNestingDoesNotCrash() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("deep.yaml", "environments: \n" + String(repeating: "- ", count: 100_000) + "x\n")
        let found = InventoryLoader.validate(paths: [file])
        expectFileDiagnostic(found, file, 2, 257, exactly: "the file nests values more than 256 levels deep")
        #expect(found.count == 1)
    }

    @Test func nestingWithinTheLimitIsParsed() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("nested.yaml", "environments: " + String(repeating: "[", count: 200)
            + String(repeating: "]", count: 200) + "\n")
        let found = InventoryLoader.validate(paths: [file])
        expectFileDiagnostic(found, file, 1, 16, exactly: "an environment must be a mapping, got a list")
    }

    /// The deepest input the guard lets through must parse on a thread with a small stack, as server and
    /// pool threads may have.
    @Test func deepestAcceptedNestingParsesOnASmallStack() async throws {
        let dir = try FilesTestDirectory()
        let flow = try dir.write("flow.yaml", String(repeating: "[", count: 256) + String(repeating: "]", count: 256))
        let block = try dir.write("block.yaml", "a:\n" + String(repeating: "- ", count: 127) + "x\n")
        let found = await withCheckedContinuation { (continuation: CheckedContinuation<[Diagnostic], Never>) in
            let thread = Thread {
                continuation.resume(returning: InventoryLoader.validate(paths: [flow, block]))
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        expectFileDiagnostic(found, flow, 1, 1, exactly: "the inventory file must be a mapping, got a list")
        expectFileDiagnostic(found, block, 1, 1, "unknown key 'a'")
        #expect(found.count == 2, "\(renderDiagnostics(found))")
    }

    @Test func aliasBombIsRefused() throws {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (name, previous) in zip(["b", "c", "d", "e", "f", "g"], ["a", "b", "c", "d", "e", "f"]) {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        let dir = try FilesTestDirectory()
        let file = try dir.write("bomb.yaml", yaml)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 1, 1, "expands to more than")
    }

    @Test func anchorsAndAliasesOfReasonableSizeWork() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: prod
                variables: &common {LOG_LEVEL: info}
              - name: test
                variables: *common
            """)
        let inventory = try InventoryLoader.load(paths: [file])
        #expect(inventory.environments.map(\.variables) == [["LOG_LEVEL": "info"], ["LOG_LEVEL": "info"]])
    }

    @Test func randomBytesNeverCrash() throws {
        let dir = try FilesTestDirectory()
        var generator = FuzzBytes(seed: 42)
        let alphabet = Array("ab:- \n\t[]{},'\"#&*!|>%@`?~0123456789".utf8)
        for index in 0..<300 {
            let length = Int(generator.next() % 200)
            let bytes = (0..<length).map { _ in
                index.isMultiple(of: 3) ? UInt8(truncatingIfNeeded: generator.next())
                    : alphabet[Int(generator.next() % UInt64(alphabet.count))]
            }
            let file = try dir.write("random-\(index).yaml", Data(bytes))
            // Any outcome is fine as long as it is a value or diagnostics, located in this file when located.
            let inventory = InventoryLoader.validate(paths: [file])
            #expect(inventory.allSatisfy { $0.location == nil || $0.location?.file == file })
            do { _ = try CatalogLoader.loadOperation(file: file) } catch is DiagnosticsError {}
            do { _ = try StrategyLoader.loadStrategy(file: file) } catch is DiagnosticsError {}
        }
    }
}

/// A small deterministic generator, so a failing random input can be reproduced.
private struct FuzzBytes: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
