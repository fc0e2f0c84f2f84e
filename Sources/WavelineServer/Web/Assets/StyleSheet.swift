import Foundation
extension Assets {
    /// Light, one file. Every state color pairs with a symbol and a word in the markup; text colors reach a
    /// contrast of at least 4.5:1 on their backgrounds, focus rings 3:1 (a light ring on the dark header). Down to
    /// a phone's 390 px nothing is wider than the screen: rows stack, tables scroll in their own box
    /// (`.scroll-box`), a log line puts its time and tag above a message that takes the whole width.
    static let styleSheet = #"""
:root {
  --fg: #1f2328; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --link: #0550ae;
  --ok: #1a7f37; --ok-bg: #dafbe1; --run: #0550ae; --run-bg: #ddf4ff; --bad: #a40e26; --bad-bg: #ffebe9;
  --wait: #7a4d00; --wait-bg: #fff8c5; --off: #57606a; --off-bg: #eaeef2; --focus: #0969da;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg); line-height: 1.45;
}
body { margin: 0; font-size: 15px; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: .5rem; z-index: 10; }
.skip:focus { left: .5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: var(--muted); font-weight: normal; }
.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 1.25rem; background: #24292f; color: #fff; }
.top a { color: #fff; }
.top :focus-visible { outline-color: #79c0ff; }
.top .muted { color: #d0d7de; }
.brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; }
.top nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; }
.top nav a[aria-current="page"] { text-decoration: underline; text-underline-offset: 4px; font-weight: 600; }
.signed-in { margin: 0 0 0 auto; font-size: .9rem; }
.identity { display: flex; gap: .4rem; align-items: center; }
form.sign-in input { padding: .3rem .5rem; min-width: 16rem; }
table.audit td { vertical-align: top; } table.audit td:nth-child(6) { overflow-wrap: anywhere; }
.identity input { padding: .2rem .4rem; }
main { padding: 1rem 1.25rem 3rem; max-width: 1200px; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .25rem 0 .75rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: .25rem 0; }
h4 { font-size: .9rem; margin: .5rem 0 .25rem; }
.crumbs { margin: 0; color: var(--muted); }
.count { color: var(--muted); font-weight: normal; }
.flash { margin: .75rem 1.25rem 0; padding: .5rem .75rem; border-radius: 6px; background: var(--ok-bg); color: #0f4a21; border: 1px solid #aceebb; }
main .flash { margin: .5rem 0; }
.flash-error { background: var(--bad-bg); color: var(--bad); border-color: #ffcecb; }
button, .button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--fg); cursor: pointer; }
button:hover { background: #eaeef2; }
.primary { background: #1f883d; border-color: #1a7f37; color: #fff; font-weight: 600; }
.primary:hover { background: #1a7f37; }
.danger { color: var(--bad); border-color: #ffcecb; }
.danger:hover { background: var(--bad-bg); }
input, select { font: inherit; border: 1px solid #8c959f; border-radius: 6px; padding: .3rem .45rem; background: #fff; color: var(--fg); }
.filters, .search { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; padding: .75rem; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
.field { display: flex; flex-direction: column; gap: .2rem; }
.field label { font-size: .85rem; font-weight: 600; }
.field.buttons { flex-direction: row; align-items: center; gap: .75rem; }
.search { align-items: center; }
.search label { font-weight: 600; }
.deployments { list-style: none; padding: 0; margin: 0; display: grid; gap: .75rem; }
.deployment-card { border: 1px solid var(--line); border-left: 6px solid var(--off); border-radius: 8px; padding: .6rem .9rem; }
.deployment-card.state-running, .deployment-card.state-rolling_back { border-left-color: #0969da; }
.deployment-card.state-succeeded { border-left-color: #2da44e; }
.deployment-card.state-failed, .deployment-card.state-finished_with_failures, .deployment-card.state-halted { border-left-color: #cf222e; }
.deployment-card.state-paused { border-left-color: #bf8700; }
.reason { margin: .25rem 0; }
.facts { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; margin: .25rem 0; }
.facts div { display: flex; gap: .4rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 500; min-width: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: .8rem; font-weight: 600; padding: .05rem .5rem; border-radius: 999px; vertical-align: middle; border: 1px solid transparent; white-space: nowrap; }
.state-succeeded .node-state, .badge.state-succeeded { color: var(--ok); background: var(--ok-bg); }
.badge.state-running, .badge.state-rolling_back, .badge.state-queued { color: var(--run); background: var(--run-bg); }
.badge.state-failed, .badge.state-finished_with_failures, .badge.state-halted, .badge.state-interrupted { color: var(--bad); background: var(--bad-bg); }
.badge.state-paused, .badge.state-pending { color: var(--wait); background: var(--wait-bg); }
.badge.state-cancelled, .badge.state-skipped, .badge.state-rolled_back { color: var(--off); background: var(--off-bg); }
.badge.state-pending { color: var(--off); background: var(--off-bg); }
.progress { display: grid; grid-template-columns: 9rem minmax(8rem, 1fr) minmax(0, 17rem); gap: .75rem; align-items: center; margin: .2rem 0; font-size: .9rem; }
.progress-label { font-weight: 600; }
.bar { display: flex; height: .8rem; border-radius: 4px; overflow: hidden; background: var(--off-bg); border: 1px solid var(--line); }
.seg { display: block; height: 100%; }
.seg-done { background: #2da44e; }
.seg-running { background: #0969da; background-image: repeating-linear-gradient(45deg, rgba(255,255,255,.25) 0 6px, transparent 6px 12px); }
.seg-failed { background: #cf222e; }
.seg-pending { background: #d0d7de; }
.progress-text { color: var(--muted); }
.failures ul { list-style: none; padding: 0; margin: .25rem 0; }
.failure { border: 1px solid #ffcecb; background: #fffafa; border-radius: 6px; padding: .35rem .6rem; margin: .3rem 0; }
.failure p { margin: 0; }
.last-lines { list-style: none; margin: .3rem 0 0; padding: .3rem .5rem; background: #24292f; color: #f0f3f6; border-radius: 4px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .82rem; overflow-wrap: anywhere; }
.last-lines .tag { color: #9ea7b3; }
.last-lines .stream-stderr .text { color: #ffb4ae; }
.gate-note { color: var(--wait); font-weight: 600; margin: .25rem 0; }
.gate { border: 2px solid #d4a72c; background: var(--wait-bg); border-radius: 8px; padding: .5rem 1rem; margin: 1rem 0; }
.gate h2 { margin-top: .25rem; color: var(--wait); }
.actions { margin: 1rem 0; }
.action-row { display: flex; flex-wrap: wrap; gap: .5rem; margin: .3rem 0; }
form.action { margin: 0; }
.hint { color: var(--muted); font-size: .85rem; margin: .25rem 0; }
.status-reason { margin: 0 0 .5rem; color: var(--muted); }
.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
.phase { position: relative; padding: .25rem 0 .75rem 1rem; }
.phase::before { content: ""; position: absolute; left: -9px; top: .55rem; width: 12px; height: 12px; border-radius: 50%; background: var(--line); border: 2px solid #fff; }
.phase-running::before { background: #0969da; }
.phase-completed::before { background: #2da44e; }
.phase-gate::before, .phase-paused::before { background: #bf8700; }
.phase-halted::before, .phase-stopped::before { background: #cf222e; }
.phase-status { font-size: .8rem; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; margin-left: .4rem; }
.phase p { margin: 0 0 .25rem; font-size: .88rem; }
.batches { list-style: none; padding: 0; margin: .25rem 0 0; display: grid; gap: .25rem; }
.batch { display: flex; gap: .5rem; align-items: baseline; }
.batch-name { font-size: .8rem; color: var(--muted); min-width: 4.5rem; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; padding: 0; margin: 0; }
.chip a { display: inline-block; font-size: .8rem; padding: 0 .4rem; border-radius: 4px; text-decoration: none; border: 1px solid var(--line); color: var(--fg); background: #fff; }
.chip.state-succeeded a { background: var(--ok-bg); color: var(--ok); }
.chip.state-running a { background: var(--run-bg); color: var(--run); }
.chip.state-failed a, .chip.state-interrupted a { background: var(--bad-bg); color: var(--bad); }
.chip.state-skipped a, .chip.state-cancelled a { background: var(--off-bg); color: var(--off); }
.cluster { margin: .5rem 0 1rem; }
.zones { display: flex; flex-wrap: wrap; gap: 1rem; }
.zone { flex: 1 1 280px; }
.zone h4 { color: var(--muted); font-weight: 600; }
.node-grid { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .4rem; }
.node a { display: flex; flex-direction: column; padding: .4rem .55rem; border-radius: 6px; border: 1px solid var(--line); border-left-width: 5px; text-decoration: none; color: var(--fg); background: #fff; min-height: 3.6rem; }
.node a:hover { background: var(--panel); }
.node-name { font-weight: 600; }
.node-state { font-size: .82rem; font-weight: 600; }
.node .step { font-size: .8rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.node.state-succeeded a { border-left-color: #2da44e; } .node.state-succeeded .node-state { color: var(--ok); background: none; }
.node.state-running a { border-left-color: #0969da; background: var(--run-bg); } .node.state-running .node-state { color: var(--run); }
.node.state-failed a, .node.state-interrupted a { border-left-color: #cf222e; background: var(--bad-bg); } .node.state-failed .node-state, .node.state-interrupted .node-state { color: var(--bad); }
.node.state-pending a { border-left-color: #d0d7de; } .node.state-pending .node-state { color: var(--muted); }
.node.state-skipped a, .node.state-cancelled a { border-left-color: #8c959f; background: var(--off-bg); }
.events { list-style: none; padding: 0; margin: 0; font-size: .88rem; }
.events li { padding: .15rem 0; border-bottom: 1px solid #eaeef2; }
.events time { color: var(--muted); font-variant-numeric: tabular-nums; }
.actor { font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
thead th { border-bottom: 2px solid var(--line); font-size: .82rem; color: var(--muted); }
.step-failed td, .step-timed_out td { color: var(--bad); }
.failure-point { border: 1px solid #ffcecb; background: var(--bad-bg); color: var(--bad); padding: .5rem .75rem; border-radius: 6px; }
.legend { font-size: .85rem; }
.log-box { margin: .5rem 0; background: #1f2328; border-radius: 8px; max-height: 70vh; overflow: auto; }
.log-box:focus-visible { outline-offset: 0; }
.log { list-style: none; margin: 0; padding: .5rem 0; color: #e6edf3; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .82rem; }
.log .line { display: grid; grid-template-columns: 8.2em 5.2em 2.5em 1fr; gap: .6em; padding: 0 .75rem; white-space: pre-wrap; word-break: break-word; }
.log .line:hover { background: #2d333b; }
.log .t, .log .offset { white-space: nowrap; color: #9ea7b3; font-variant-numeric: tabular-nums; }
.tag { font-weight: 700; }
.tag-out { color: #7ee2a8; } .tag-err { color: #ffa198; } .tag-sys { color: #a5d6ff; }
.legend .tag { padding: 0 .3rem; border-radius: 3px; background: #1f2328; }
.stream-stderr .text { color: #ffb4ae; }
.log .boundary { margin-top: .35rem; background: #2d333b; color: #a5d6ff; font-weight: 700; }
.log .boundary-end { color: #ffa198; }
.log .line[hidden] { display: none; }
.log mark { background: #bf8700; color: #fff; }
.scroll-box { max-width: 100%; overflow-x: auto; }
.scroll-box > table { min-width: 36rem; }
.inventory-cluster { margin-bottom: 1.5rem; }
table.nodes { table-layout: fixed; }
table.nodes th:nth-child(1) { width: 16%; } table.nodes th:nth-child(2) { width: 9%; } table.nodes th:nth-child(3) { width: 9%; }
table.nodes th:nth-child(4) { width: 13%; } table.nodes th:nth-child(6) { width: 9%; }
.toc ul { list-style: none; display: flex; flex-wrap: wrap; gap: .35rem 1rem; padding: 0; }
.drift { color: var(--wait); background: var(--wait-bg); padding: .3rem .6rem; border-radius: 6px; }
.empty { color: var(--muted); font-style: italic; }
.deployments > li, .zones > *, .facts > div { min-width: 0; }
/* Phones: progress rows stack (label and counts above the bar), log lines put time, offset and tag on a line of
   their own above the message, the header and the page keep narrower margins. */
@media (max-width: 40rem) {
  main { padding: .75rem .75rem 2rem; }
  .top { padding: .5rem .75rem; gap: .5rem 1rem; }
  .signed-in { margin: 0; }
  .progress { grid-template-columns: minmax(0, 1fr) auto; gap: .15rem .75rem; }
  .progress .bar { grid-column: 1 / -1; grid-row: 2; }
  .progress-text { text-align: right; }
  .log .line { grid-template-columns: auto auto 1fr; column-gap: .6em; padding: .1rem .6rem; }
  .log .line .text { grid-column: 1 / -1; }
  .batch { flex-direction: column; gap: .1rem; }
  form.sign-in input { min-width: 0; width: 100%; box-sizing: border-box; }
}
@media (prefers-reduced-motion: no-preference) { .seg { transition: width .3s ease; } }
"""#
}
