import Crypto
import Foundation
import WavelineCore
import WavelineStore

/// Keeps the real values of a deployment's hidden parameters (those shown as `********`) so that a deployment
/// still under way when the server restarts goes on with them: sealed with AES-GCM under a key that lives in a
/// file of its own in the data folder (0600), never in the database, and bound to the deployment's id. A copy of
/// the database alone (a backup, a file sent for support, `audit verify --data`) never holds them; whoever can
/// read the data folder as the server's user can, as they can read the server's memory.
public struct ParameterSeal: Sendable {
    /// In the data folder: `<data>/parameters.key`.
    public static let keyFileName = "parameters.key"
    private let key: SymmetricKey

    /// A key that lives only as long as this process: deployments with hidden parameters cannot go on after a
    /// restart (they fail, saying why). For engines without a data folder (tests).
    public static func ephemeral() -> ParameterSeal { ParameterSeal(key: SymmetricKey(size: .bits256)) }

    /// Reads the key from `<directory>/parameters.key`, made (32 random bytes, 0600) when missing.
    public static func loadOrCreate(in directory: String) throws -> ParameterSeal {
        let path = directory + "/" + keyFileName
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw ParameterSealError("the key file \(path) is damaged (\(data.count) bytes, not 32); deployments with sensitive parameters cannot go on without it")
            }
            return ParameterSeal(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        // Made private before the key is written into it.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw ParameterSealError("cannot create the key file \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: bytes)
        try handle.synchronize()
        try handle.close()
        return ParameterSeal(key: key)
    }

    /// Base64 of the sealed JSON of `values`, bound to the deployment (a sealed box cannot be moved to another).
    func seal(_ values: [String: String], deployment: Int64) throws -> String {
        let plain = Data(JSONText.encode(values).utf8)
        let box = try AES.GCM.seal(plain, using: key, authenticating: Data("waveline deployment \(deployment)".utf8))
        guard let combined = box.combined else { throw ParameterSealError("cannot seal the parameters") }
        return combined.base64EncodedString()
    }

    func open(_ sealed: String, deployment: Int64) throws -> [String: String] {
        guard let data = Data(base64Encoded: sealed) else { throw ParameterSealError("the sealed parameters are damaged") }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            let plain = try AES.GCM.open(box, using: key, authenticating: Data("waveline deployment \(deployment)".utf8))
            return try JSONText.decode([String: String].self, from: String(decoding: plain, as: UTF8.self))
        } catch {
            throw ParameterSealError("the sealed values of its sensitive parameters cannot be opened with this server's key (\(ParameterSeal.keyFileName) was replaced, or the database comes from another data folder)")
        }
    }
}

public struct ParameterSealError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A deployment's parameters as shown and stored, and the real values of those hidden.
struct HiddenParameters {
    /// What the store, answers and pages get: hidden values are `********`.
    var shown: [String: String]
    /// Name → real value, of the hidden ones only.
    var hidden: [String: String]

    /// Hides the values of sensitive parameters, and any value the masker would mask (equal to a secret in one
    /// of its forms): stored in clear, those would be answered to everyone who may read the deployment.
    init(_ values: [String: String], of operation: WavelineCore.Operation, masker: SecretMasker) {
        shown = values
        hidden = [:]
        let sensitive = Set(operation.parameters.filter(\.sensitive).map(\.name))
        for (name, value) in values where sensitive.contains(name) || masker.isSecret(value) {
            hidden[name] = value
            shown[name] = SecretReference.mask
        }
    }
}

extension WavelineCore.Operation {
    /// The operation with its step and check names masked, as it is stored with a deployment: names are shown
    /// in every answer and log. Commands are kept as written (they run again after a restart): a catalog is
    /// reviewed text, and a secret written into it is not a secret.
    func withNamesMasked(by masker: SecretMasker) -> WavelineCore.Operation {
        var operation = self
        for index in operation.steps.indices { operation.steps[index].name = masker.mask(operation.steps[index].name) }
        for index in operation.rollback.indices { operation.rollback[index].name = masker.mask(operation.rollback[index].name) }
        for index in operation.preChecks.indices { operation.preChecks[index].name = masker.mask(operation.preChecks[index].name) }
        for index in operation.postChecks.indices { operation.postChecks[index].name = masker.mask(operation.postChecks[index].name) }
        return operation
    }
}
