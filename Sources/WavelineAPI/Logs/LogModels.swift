import WavelineCore

// The JSON shapes of a deployment's log: pages of lines, and the data of the log stream's events.

public struct LogLineView: Codable, Sendable, Hashable {
    public var id: Int64
    public var node: String
    public var seq: Int
    public var time: Double
    public var stream: String
    public var step: String?
    public var text: String

    public init(id: Int64, node: String, seq: Int, time: Double, stream: String, step: String?, text: String) {
        self.id = id
        self.node = node
        self.seq = seq
        self.time = time
        self.stream = stream
        self.step = step
        self.text = text
    }
}

/// How `GET /deployments/{id}/logs/stream` frames lines: `lines`, an `event: log` per line (the default), or
/// `batches`, an `event: lines` per batch of up to `LogBatchView.maximumLines` lines, for followers of busy logs.
public enum LogStreamFormat: String, Codable, Sendable, CaseIterable {
    case lines
    case batches
}

/// The data of an `event: lines`: consecutive log lines, in runs that share a node, a stream and a step.
public struct LogBatchView: Codable, Sendable, Hashable {
    public static let maximumLines = 1000

    public struct Run: Codable, Sendable, Hashable {
        public var node: String
        public var stream: String
        public var step: String?
        public var lines: [Line]

        public init(node: String, stream: String, step: String?, lines: [Line]) {
            self.node = node
            self.stream = stream
            self.step = step
            self.lines = lines
        }
    }

    /// A line of a run, as the array `[id, seq, time, text]`.
    public struct Line: Codable, Sendable, Hashable {
        public var id: Int64
        public var seq: Int
        public var time: Double
        public var text: String

        public init(id: Int64, seq: Int, time: Double, text: String) {
            self.id = id
            self.seq = seq
            self.time = time
            self.text = text
        }

        public init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            id = try fields.decode(Int64.self)
            seq = try fields.decode(Int.self)
            time = try fields.decode(Double.self)
            text = try fields.decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var fields = encoder.unkeyedContainer()
            try fields.encode(id)
            try fields.encode(seq)
            try fields.encode(time)
            try fields.encode(text)
        }
    }

    public var runs: [Run]

    public init(runs: [Run]) {
        self.runs = runs
    }

    /// The lines, each as the `LogLineView` an `event: log` carries.
    public var lines: [LogLineView] {
        runs.flatMap { run in
            run.lines.map { LogLineView(id: $0.id, node: run.node, seq: $0.seq, time: $0.time, stream: run.stream, step: run.step, text: $0.text) }
        }
    }
}

public struct LogPage: Codable, Sendable {
    public var lines: [LogLineView]
    /// Pass as `after` to continue.
    public var cursor: Int64
    public var deploymentStatus: DeploymentStatus

    public init(lines: [LogLineView], cursor: Int64, deploymentStatus: DeploymentStatus) {
        self.lines = lines
        self.cursor = cursor
        self.deploymentStatus = deploymentStatus
    }
}

/// The data of the log stream's last event, `event: end`: how the deployment ended.
public struct LogStreamEnd: Codable, Sendable, Hashable {
    public var status: DeploymentStatus

    public init(status: DeploymentStatus) {
        self.status = status
    }
}
