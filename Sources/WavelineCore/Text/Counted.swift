/// A number with its noun, in the noun's form for that number: `counted(1, "node")` is "1 node",
/// `counted(3, "node")` "3 nodes", `counted(2, "batch", plural: "batches")` "2 batches". Every count a person
/// reads (pages, CLI, events, reasons) goes through here, so none says "node(s)".
public func counted(_ count: Int, _ singular: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
}
