//! The longest item of an XML stream, as an XML reader (quick-xml, under calamine)
//! holds each one whole in memory: a text between tags, a tag with its attributes, a
//! comment, a CDATA section, a processing instruction or a declaration. A worksheet
//! whose longest item is short can be streamed in little memory, whatever its size.

/// What the scanner is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Just after `<`: the next bytes tell which kind of markup it is.
    Opening,
    /// An element's tag; inside a quoted attribute value when `quote` is set.
    Tag,
    Comment,
    CData,
    Instruction,
    /// `<!DOCTYPE ...>` and the like, with nested `<...>` counted.
    Declaration,
}

/// Measures the items of an XML text fed piece by piece.
#[derive(Debug)]
pub(super) struct LongestItem {
    state: State,
    /// The bytes after `<` while [`State::Opening`].
    head: Vec<u8>,
    quote: Option<u8>,
    depth: u64,
    /// The last three bytes, for the ends `-->`, `]]>` and `?>`.
    window: [u8; 3],
    current: u64,
    longest: u64,
}

impl Default for LongestItem {
    fn default() -> Self {
        LongestItem {
            state: State::Text,
            head: Vec::with_capacity(8),
            quote: None,
            depth: 0,
            window: [0; 3],
            current: 0,
            longest: 0,
        }
    }
}

const COMMENT: &[u8] = b"!--";
const CDATA: &[u8] = b"![CDATA[";

impl LongestItem {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.current += 1;
            self.window = [self.window[1], self.window[2], b];
            match self.state {
                State::Text if b == b'<' => {
                    self.end_item(1);
                    self.head.clear();
                    self.state = State::Opening;
                }
                State::Text => {}
                State::Opening => self.classify(b),
                State::Tag => self.in_tag(b),
                State::Comment if self.window == *b"-->" => self.end_item(0),
                State::CData if self.window == *b"]]>" => self.end_item(0),
                State::Instruction if self.window[1..] == *b"?>" => self.end_item(0),
                State::Declaration => self.in_declaration(b),
                State::Comment | State::CData | State::Instruction => {}
            }
        }
    }

    /// The longest item so far, the one being read included.
    pub fn so_far(&self) -> u64 {
        self.longest.max(self.current)
    }

    /// The longest item, once the text has ended.
    pub fn finish(&mut self) -> u64 {
        self.end_item(0);
        self.longest
    }

    /// Ends the item being read; `carried` bytes already belong to the next one.
    fn end_item(&mut self, carried: u64) {
        self.longest = self.longest.max(self.current - carried);
        self.current = carried;
        if carried == 0 {
            self.state = State::Text;
        }
    }

    fn classify(&mut self, b: u8) {
        self.head.push(b);
        let head = self.head.as_slice();
        if head == COMMENT {
            self.state = State::Comment;
        } else if head == CDATA {
            self.state = State::CData;
        } else if COMMENT.starts_with(head) || CDATA.starts_with(head) {
            // Not told apart yet.
        } else if head[0] == b'?' {
            self.state = State::Instruction;
        } else if head[0] == b'!' {
            // Only the last byte can be `<` or `>`: the ones before it begin `!--` or
            // `![CDATA[`.
            self.state = State::Declaration;
            self.depth = 0;
            self.in_declaration(b);
        } else {
            self.state = State::Tag;
            self.quote = None;
            self.in_tag(b);
        }
    }

    fn in_declaration(&mut self, b: u8) {
        match b {
            b'<' => self.depth += 1,
            b'>' if self.depth == 0 => self.end_item(0),
            b'>' => self.depth -= 1,
            _ => {}
        }
    }

    fn in_tag(&mut self, b: u8) {
        match (self.quote, b) {
            (Some(quote), _) if b == quote => self.quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => self.quote = Some(b),
            (None, b'>') => self.end_item(0),
            (None, _) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longest(pieces: &[&[u8]]) -> u64 {
        let mut scanner = LongestItem::default();
        for piece in pieces {
            scanner.feed(piece);
        }
        scanner.finish()
    }

    #[test]
    fn each_kind_of_item_is_measured_whole() {
        let text = "x".repeat(1000);
        let cases = [
            (format!("<row><c><v>{text}</v></c></row>"), 1000),
            (format!("<c r=\"A1\" t=\"{text}\"/>"), 1016),
            (format!("<c a='>{text}>'/>"), 1011),
            (format!("<a/><!-- {text} > <b> --><a/>"), 1015),
            (format!("<a><![CDATA[ <{text}> ]]></a>"), 1016),
            (format!("<?xml {text} > ?><a/>"), 1011),
            (format!("<!DOCTYPE a [ <!ENTITY b \"{text}\"> ]><a/>"), 1031),
        ];
        for (xml, length) in cases {
            assert_eq!(longest(&[xml.as_bytes()]), length, "{}", &xml[..20]);
            // The same, fed one byte at a time.
            let bytes: Vec<&[u8]> = xml.as_bytes().chunks(1).collect();
            assert_eq!(longest(&bytes), length);
        }
        assert_eq!(longest(&[b"<a>short</a><b>texts</b>"]), 5);
    }
}
