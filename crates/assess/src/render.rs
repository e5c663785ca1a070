//! The assessment as Markdown and as a standalone HTML page (no scripts, no
//! external assets: it can be mailed or attached to a change ticket).

use std::fmt::Write as _;

use crate::report::{AccountReport, Assessment, Impact, Path, Step};

fn path_meaning(path: Path) -> &'static str {
    match path {
        Path::BreakUp => {
            "break up: each account leaves the organization and joins the payer on its own"
        }
        Path::ImportWhole => {
            "import whole: the organization stays intact and transfers its billing to the payer"
        }
    }
}

/// Evidence as a short list: the first three IDs and how many more.
pub fn evidence_brief(evidence: &[String]) -> String {
    let mut out = evidence
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if evidence.len() > 3 {
        let _ = write!(out, " … and {} more", evidence.len() - 3);
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn money(value: Option<f64>) -> String {
    value.map_or("unknown".to_owned(), |v| format!("{v:.2}"))
}

fn active_text(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// The whole assessment as Markdown.
pub fn markdown(a: &Assessment) -> String {
    let mut out = format!("# orgpool assessment of {}\n\n", a.organization_id);
    let _ = writeln!(
        out,
        "**Recommendation: `{}`** — {}.\n",
        a.recommendation.as_str(),
        path_meaning(a.recommendation)
    );
    if a.planned_path != a.recommendation {
        let _ = writeln!(
            out,
            "Planned path, chosen by the user: **`{}`**. The impacts' severities and the runbook are for it.\n",
            a.planned_path.as_str()
        );
    }
    out += "## Reasons\n\n";
    for r in &a.reasons {
        let _ = writeln!(
            out,
            "- **{}**: {} ({})",
            r.rule,
            r.detail,
            evidence_brief(&r.evidence)
        );
    }
    let _ = writeln!(out, "\n## Activity\n\n{}\n", a.activity.note);
    out += "## Impacts\n\n| severity | area | impact | evidence | under break_up | under import_whole | remediation |\n| --- | --- | --- | --- | --- | --- | --- |\n";
    for i in &a.impacts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {}: {} | {}: {} | {} |",
            i.severity.as_str(),
            i.area.as_str(),
            md_cell(&i.title),
            md_cell(&evidence_brief(&i.evidence)),
            i.break_up.severity.as_str(),
            md_cell(&i.break_up.effect),
            i.import_whole.severity.as_str(),
            md_cell(&i.import_whole.effect),
            md_cell(&i.remediation)
        );
    }
    out += "\n## Accounts\n\n| account | name | status | active | usage spend | leave blockers |\n| --- | --- | --- | --- | --- | --- |\n";
    for acc in &a.accounts {
        let blockers = blocker_summary(acc);
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {} |",
            acc.id,
            if acc.management { " (management)" } else { "" },
            md_cell(&acc.name),
            acc.status,
            active_text(acc.active),
            money(acc.usage_cost),
            md_cell(&blockers)
        );
    }
    out += "\n";
    out += &runbook_markdown(a);
    out
}

/// The runbook alone, as Markdown.
pub fn runbook_markdown(a: &Assessment) -> String {
    let mut out = format!(
        "## Runbook: {}\n\nValues in `<ANGLE_BRACKETS>` are yours to fill in. Run the steps in order; each names whose credentials run it.\n\n",
        a.planned_path.as_str()
    );
    for s in &a.runbook {
        out += &step_markdown(s);
    }
    out
}

fn step_markdown(s: &Step) -> String {
    format!(
        "### {}. {}\n\n- action: `{}`{}\n- run as: {}\n- pre-check: `{}`\n- rollback: {}\n\n```sh\n{}\n```\n\n",
        s.order,
        s.title,
        s.action,
        s.account_id
            .as_ref()
            .map(|a| format!(" (account {a})"))
            .unwrap_or_default(),
        s.run_as,
        s.pre_check,
        s.rollback,
        s.command
    )
}

/// An account's leave blockers on one line, each kind once with its count:
/// `scp_denies_leave ×2 (blocks), sso_assignments`; `none` when there are none.
pub fn blocker_summary(acc: &AccountReport) -> String {
    let mut kinds: Vec<(&str, bool, usize)> = Vec::new();
    for l in &acc.leave_blockers {
        match kinds
            .iter_mut()
            .find(|(c, b, _)| *c == l.check && *b == l.blocking)
        {
            Some(k) => k.2 += 1,
            None => kinds.push((l.check.as_str(), l.blocking, 1)),
        }
    }
    if kinds.is_empty() {
        return "none".into();
    }
    kinds
        .iter()
        .map(|(check, blocking, n)| {
            format!(
                "{check}{}{}",
                if *n > 1 {
                    format!(" ×{n}")
                } else {
                    String::new()
                },
                if *blocking { " (blocks)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1a1a1a}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}\
th{background:#f3f3f3}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}.sev{font-weight:600}\
.blocker{color:#b00020}.high{color:#c2410c}.medium{color:#a16207}.low{color:#15803d}.info{color:#555}\
.decision{font-size:1.3rem;padding:.8rem;border-left:.4rem solid #2563eb;background:#eef4ff}";

fn impact_row(i: &Impact) -> String {
    let e = escape_html;
    format!(
        "<tr><td class=\"sev {sev}\">{sev}</td><td>{}</td><td>{}</td><td>{}</td><td>{}: {}</td><td>{}: {}</td><td>{}</td></tr>\n",
        e(i.area.as_str()),
        e(&i.title),
        e(&evidence_brief(&i.evidence)),
        e(i.break_up.severity.as_str()),
        e(&i.break_up.effect),
        e(i.import_whole.severity.as_str()),
        e(&i.import_whole.effect),
        e(&i.remediation),
        sev = i.severity.as_str()
    )
}

/// The whole assessment as one standalone HTML page.
pub fn html(a: &Assessment) -> String {
    let e = escape_html;
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>orgpool assessment of {org}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>orgpool assessment of {org}</h1>\n<p class=\"decision\" id=\"recommendation\" data-recommendation=\"{rec}\">Recommendation: <strong>{rec}</strong> — {meaning}.</p>\n<h2>Reasons</h2>\n<ul id=\"reasons\">\n",
        org = e(&a.organization_id),
        rec = a.recommendation.as_str(),
        meaning = e(path_meaning(a.recommendation))
    );
    for r in &a.reasons {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong>: {} <small>({})</small></li>",
            e(&r.rule),
            e(&r.detail),
            e(&evidence_brief(&r.evidence))
        );
    }
    let _ = write!(
        out,
        "</ul>\n<h2>Activity</h2>\n<p>{}</p>\n<h2>Impacts</h2>\n<table id=\"impacts\">\n<tr><th>severity</th><th>area</th><th>impact</th><th>evidence</th><th>under break_up</th><th>under import_whole</th><th>remediation</th></tr>\n",
        e(&a.activity.note)
    );
    for i in &a.impacts {
        out += &impact_row(i);
    }
    out += "</table>\n<h2>Accounts</h2>\n<table id=\"accounts\">\n<tr><th>account</th><th>name</th><th>status</th><th>active</th><th>usage spend</th><th>leave blockers</th></tr>\n";
    for acc in &a.accounts {
        let blockers = acc
            .leave_blockers
            .iter()
            .map(|l| {
                format!(
                    "<li>{}{}: {} <em>Fix:</em> {}</li>",
                    e(&l.check),
                    if l.blocking { " (blocks)" } else { "" },
                    e(&l.detail),
                    e(&l.fix)
                )
            })
            .collect::<String>();
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><ul>{}</ul></td></tr>",
            e(&acc.id),
            if acc.management { " (management)" } else { "" },
            e(&acc.name),
            e(&acc.status),
            active_text(acc.active),
            money(acc.usage_cost),
            blockers
        );
    }
    let _ = write!(
        out,
        "</table>\n<h2>Runbook: {}</h2>\n<p>Values in &lt;ANGLE_BRACKETS&gt; are yours to fill in. Run the steps in order.</p>\n<ol id=\"runbook\">\n",
        a.planned_path.as_str()
    );
    for s in &a.runbook {
        let _ = writeln!(
            out,
            "<li data-action=\"{}\"><strong>{}</strong><br>Run as: {}<br>Pre-check: <code>{}</code><pre>{}</pre>Rollback: {}</li>",
            e(&s.action),
            e(&s.title),
            e(&s.run_as),
            e(&s.pre_check),
            e(&s.command),
            e(&s.rollback)
        );
    }
    out += "</ol>\n</body>\n</html>\n";
    out
}
