import Logging
import Synchronization
import Testing
import WavelineEngine

/// The masker's forms of a value, and the server's log going through it.
struct SecretMaskerTests {
    @Test func aValueOfSeveralLinesIsMaskedWholeTrimmedAndLineByLine() {
        let masker = SecretMasker()
        masker.learn("first-line-of-it\r\nsecond-line-of-it\r\nab\r\n")
        #expect(masker.mask("x first-line-of-it\r\nsecond-line-of-it\r\nab\r\n y") == "x ******** y")
        #expect(masker.mask("x first-line-of-it\r\nsecond-line-of-it\r\nab y") == "x ******** y")
        #expect(masker.mask("got second-line-of-it here") == "got ******** here")
        // A line shorter than the masking minimum is not a form of its own.
        #expect(masker.mask("ab") == "ab")
        #expect(masker.isSecret("first-line-of-it"))
        #expect(!masker.isSecret("first-line"))
    }

    @Test func valuesShorterThanTheMinimumAreNotLearnt() {
        let masker = SecretMasker()
        masker.learn("abc")
        #expect(masker.isEmpty)
        #expect(masker.mask("abc") == "abc")
    }

    @Test func theServerLogIsMasked() {
        let masker = SecretMasker()
        masker.learn("server-log-secret")
        let captured = CapturedLog()
        var logger = Logger(label: "test") { _ in captured }
        logger.handler = MaskingLogHandler(base: logger.handler, masker: masker)
        logger.error("failed with server-log-secret", metadata: ["error": "bad server-log-secret", "list": .array(["server-log-secret"])])
        let lines = captured.lines.withLock { $0 }
        #expect(lines == [#"failed with ******** error=bad ******** list=["********"]"#], "\(lines)")
    }
}

/// A log handler that keeps what it is given, as text.
final class CapturedLog: LogHandler, Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata { get { [:] } set {} }
    var logLevel: Logger.Level { get { .trace } set {} }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLock { $0.append("\(event.message)" + (metadata.isEmpty ? "" : " " + metadata)) }
    }
}
