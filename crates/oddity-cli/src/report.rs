//! A self-contained HTML report: tables and inline SVG pictures, no script, no external
//! resource (it opens from a file in a browser without network access).

use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// An HTML document being assembled.
#[derive(Debug, Default)]
pub struct Html {
    body: String,
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#eee}\
figure{display:inline-block;margin:.5em;width:520px;vertical-align:top}figure svg{width:100%;height:auto}\
figcaption{font-size:.9em;color:#555}pre{background:#f6f6f6;padding:1em;overflow-x:auto}\
.warn{color:#a40}.note{color:#555;font-size:.9em}";

impl Html {
    pub fn h1(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h1>{}</h1>", escape(text));
    }

    pub fn h2(&mut self, text: &str, id: &str) {
        let _ = writeln!(self.body, "<h2 id=\"{}\">{}</h2>", escape(id), escape(text));
    }

    pub fn paragraph(&mut self, text: &str, class: Option<&str>) {
        match class {
            Some(c) => {
                let _ = writeln!(self.body, "<p class=\"{}\">{}</p>", escape(c), escape(text));
            }
            None => {
                let _ = writeln!(self.body, "<p>{}</p>", escape(text));
            }
        }
    }

    /// A table with a header row; cells are text.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        self.body.push_str("<table><thead><tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr></thead><tbody>\n");
        for r in rows {
            self.body.push_str("<tr>");
            for c in r {
                let _ = write!(self.body, "<td>{}</td>", escape(c));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody></table>\n");
    }

    /// An inline SVG picture with a caption. The SVG's XML prologue is dropped; anything that
    /// could reference an external resource is refused.
    pub fn figure(&mut self, svg: &str, caption: &str) {
        let start = svg.find("<svg").unwrap_or(0);
        let svg = &svg[start..];
        if svg.contains("<image") || svg.contains("href=\"http") || svg.contains("url(http") {
            self.paragraph(&format!("{caption}: picture left out (it referenced an external resource)"), Some("warn"));
            return;
        }
        let _ = writeln!(self.body, "<figure>{svg}<figcaption>{}</figcaption></figure>", escape(caption));
    }

    /// Collapsible preformatted text.
    pub fn details(&mut self, summary: &str, text: &str) {
        let _ =
            writeln!(self.body, "<details><summary>{}</summary><pre>{}</pre></details>", escape(summary), escape(text));
    }

    /// The finished document.
    pub fn finish(&self, title: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{STYLE}</style></head>\n<body>\n{}</body></html>\n",
            escape(title),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_nothing_external_is_referenced() {
        let mut h = Html::default();
        h.h1("a <b> & \"c\"");
        h.table(&["x<".into()], &[vec!["<script>".into()]]);
        h.figure("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><text>ok</text></svg>", "fig");
        h.figure("<svg><image href=\"http://example.org/a.png\"/></svg>", "bad");
        let doc = h.finish("t");
        assert!(doc.contains("a &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(doc.contains("&lt;script&gt;") && !doc.contains("<script>"));
        assert!(doc.contains("<figure><svg xmlns") && !doc.contains("<?xml"));
        assert!(!doc.contains("example.org") && doc.contains("picture left out"));
    }
}
