//! Renders a [`Letter`] as a tagged PDF/A-2a document with krilla.
//!
//! krilla draws glyphs but does no line breaking, so this module shapes text
//! itself with rustybuzz (the shaper behind krilla's optional `simple-text`
//! feature, which is therefore left off), breaks lines by the
//! measured advances and lays the letter out on A4 pages.

use std::num::NonZeroU16;

use chrono::{DateTime, Datelike, Timelike, Utc};
use krilla::configure::{Archival, ConfigurationBuilder, ValidationError, Validators};
use krilla::error::KrillaError;
use krilla::geom::Point;
use krilla::metadata::{self, Metadata};
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagTree,
};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};

use crate::domain::letter::{Letter, LetterBlock};

static REGULAR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/static/fonts/LiberationSans-Regular.ttf"
));
static BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/static/fonts/LiberationSans-Bold.ttf"
));

/// Document language, for the metadata and the structure tree (PDF/A-2a requires it).
const LANG: &str = "nb-NO";

/// PDF points per millimetre.
const MM: f32 = 72.0 / 25.4;
const PAGE_WIDTH: f32 = 210.0 * MM;
const PAGE_HEIGHT: f32 = 297.0 * MM;
const MARGIN_LEFT: f32 = 25.0 * MM;
const MARGIN_RIGHT: f32 = 25.0 * MM;
const MARGIN_TOP: f32 = 20.0 * MM;
const MARGIN_BOTTOM: f32 = 25.0 * MM;
const TEXT_WIDTH: f32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
const BODY_BOTTOM: f32 = PAGE_HEIGHT - MARGIN_BOTTOM;
/// Baseline of the footer line (reference and page number).
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 13.0 * MM;
/// Where the title/date/reference column of the letterhead starts.
const RIGHT_COLUMN_X: f32 = MARGIN_LEFT + 100.0 * MM;
/// Width of the sender and recipient blocks.
const LEFT_COLUMN_WIDTH: f32 = RIGHT_COLUMN_X - MARGIN_LEFT - 5.0 * MM;
/// Top of the recipient block: about where a window envelope shows the address.
const RECIPIENT_TOP: f32 = 45.0 * MM;

/// Line height as a multiple of the font size.
const LEADING: f32 = 1.35;
/// Distance from the top of a line box to the baseline, in em. Liberation
/// Sans ascends 0.905 em.
const BASELINE: f32 = 0.93;
/// Space after paragraphs, fact lists and the subject.
const BLOCK_GAP: f32 = 8.0;
/// Gap between the label and value columns of a fact list.
const FACTS_GUTTER: f32 = 12.0;

const BODY: Type = Type::regular(10.5);
const SMALL: Type = Type::regular(9.0);
const FOOTER: Type = Type::regular(8.0);
const SENDER: Type = Type::bold(12.0);
const TITLE: Type = Type::bold(14.0);
const SUBJECT: Type = Type::bold(12.0);
const HEADING: Type = Type::bold(11.0);

/// Why a letter could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("kunne ikke lese den innebygde skrifttypen {0}")]
    Font(&'static str),
    #[error("PDF-en oppfyller ikke PDF/A-2a: {0}")]
    Validation(String),
    #[error("kunne ikke lage PDF: {0}")]
    Krilla(String),
}

/// Renders `letter` as a PDF/A-2a document (tagged, Unicode-mapped, fonts embedded).
///
/// The output depends only on the letter and `created`: krilla derives the file
/// identifier from the content, so the same input gives the same bytes.
pub fn letter_pdf(letter: &Letter, created: DateTime<Utc>) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let (pages, blocks) = lay_out(letter, &fonts);

    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_A)
        .finish()
        .map_err(|e| PdfError::Krilla(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    });

    let total = pages.len();
    let mut ids: Vec<(Slot, Identifier)> = Vec::new();
    for (index, runs) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PdfError::Krilla("ugyldig sidestørrelse".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for run in runs {
            let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
            draw_line(&mut surface, &fonts, run.x, run.y, run.ty, &run.text);
            surface.end_tagged();
            ids.push((run.slot, id));
        }
        draw_footer(&mut surface, &fonts, letter, index + 1, total);
        surface.finish();
        page.finish();
    }

    document.set_tag_tree(tag_tree(&blocks, ids));
    document.set_metadata(document_metadata(letter, created));
    document.finish().map_err(|e| match e {
        KrillaError::Validation(errors) => PdfError::Validation(describe(&errors)),
        other => PdfError::Krilla(other.to_string()),
    })
}

fn describe(errors: &[(ValidationError, Validators)]) -> String {
    errors
        .iter()
        .map(|(error, _)| format!("{error:?}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn document_metadata(letter: &Letter, created: DateTime<Utc>) -> Metadata {
    let author = letter
        .sender
        .first()
        .cloned()
        .unwrap_or_else(|| "Statsforvalteren".to_owned());
    let date = metadata::DateTime::new(created.year().clamp(0, 9999) as u16)
        .month(created.month() as u8)
        .day(created.day() as u8)
        .hour(created.hour() as u8)
        .minute(created.minute() as u8)
        .second(created.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    Metadata::new()
        .title(letter.title.clone())
        .description(letter.subject.clone())
        .authors(vec![author])
        .language(LANG.to_owned())
        .creator("tilskudd".to_owned())
        .creation_date(date)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Regular,
    Bold,
}

/// A typeface and size.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Type {
    style: Style,
    size: f32,
}

impl Type {
    const fn regular(size: f32) -> Self {
        Self {
            style: Style::Regular,
            size,
        }
    }

    const fn bold(size: f32) -> Self {
        Self {
            style: Style::Bold,
            size,
        }
    }

    fn line_height(self) -> f32 {
        self.size * LEADING
    }
}

/// The two faces of Liberation Sans, for shaping and for embedding.
struct Fonts {
    regular: Face,
    bold: Face,
}

struct Face {
    pdf: Font,
    shaper: rustybuzz::Face<'static>,
    /// Built once: making a plan costs more than shaping a line of text.
    plan: rustybuzz::ShapePlan,
    units_per_em: f32,
}

impl Fonts {
    fn load() -> Result<Self, PdfError> {
        Ok(Self {
            regular: Face::load(REGULAR, "LiberationSans-Regular")?,
            bold: Face::load(BOLD, "LiberationSans-Bold")?,
        })
    }

    fn face(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// Width of `text` in points.
    fn width(&self, ty: Type, text: &str) -> f32 {
        let ems: f32 = self
            .face(ty.style)
            .shape(text)
            .iter()
            .map(|glyph| glyph.x_advance)
            .sum();
        ems * ty.size
    }

    /// Breaks `text` into lines no wider than `width`, at ASCII spaces only, so
    /// that no-break spaces keep amounts like "350 000 kr" together. Hard line
    /// breaks ('\n') are kept; an empty line stays empty.
    ///
    /// A line that ends at a soft break keeps one trailing space: invisible on
    /// the page, but it keeps the words apart when a reader joins the lines of
    /// a paragraph from the structure tree.
    fn wrap(&self, ty: Type, width: f32, text: &str) -> Vec<String> {
        let text = self.printable(ty, text);
        let mut lines = Vec::new();
        for hard_line in text.split('\n') {
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in hard_line.split(' ').filter(|word| !word.is_empty()) {
                let (candidate, estimate) = if line.is_empty() {
                    (word.to_owned(), self.width(ty, word))
                } else {
                    let addition = format!(" {word}");
                    let estimate = line_width + self.width(ty, &addition);
                    (line.clone() + &addition, estimate)
                };
                // Adding up word widths misses only kerning across the space
                // (a fraction of a point); shape the whole line near the edge so
                // the last word is decided exactly, without reshaping every line
                // once per word.
                let measured = if estimate <= width - 3.0 {
                    estimate
                } else {
                    self.width(ty, &candidate)
                };
                if measured <= width {
                    line = candidate;
                    line_width = measured;
                    continue;
                }
                if !line.is_empty() {
                    line.push(' ');
                    lines.push(std::mem::take(&mut line));
                }
                line = self.break_long_word(ty, width, word, &mut lines);
                line_width = self.width(ty, &line);
            }
            lines.push(line);
        }
        lines
    }

    /// Replaces characters the font cannot show with '?', turns tabs into
    /// spaces and drops other control characters except '\n'. PDF/A forbids
    /// the .notdef glyph, so one emoji in a name would otherwise fail the letter.
    fn printable(&self, ty: Type, text: &str) -> String {
        let face = &self.face(ty.style).shaper;
        text.chars()
            .filter_map(|c| match c {
                '\n' => Some('\n'),
                '\t' => Some(' '),
                c if c.is_control() => None,
                c if face.glyph_index(c).is_none() => Some('?'),
                c => Some(c),
            })
            .collect()
    }

    /// Pushes full-width pieces of a word that does not fit on a line by itself
    /// (a long URL, say) and returns the remainder.
    fn break_long_word(&self, ty: Type, width: f32, word: &str, lines: &mut Vec<String>) -> String {
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if piece.chars().count() > 1 && self.width(ty, &piece) > width {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        piece
    }
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, PdfError> {
        let shaper = rustybuzz::Face::from_slice(data, 0).ok_or(PdfError::Font(name))?;
        let pdf = Font::new(data.into(), 0).ok_or(PdfError::Font(name))?;
        let units_per_em = shaper.units_per_em() as f32;
        let plan = rustybuzz::ShapePlan::new(
            &shaper,
            rustybuzz::Direction::LeftToRight,
            Some(rustybuzz::script::LATIN),
            None,
            &[],
        );
        Ok(Self {
            pdf,
            shaper,
            plan,
            units_per_em,
        })
    }

    /// Shapes one line of text (with kerning). Advances are in em
    /// units, and each glyph knows which bytes of `text` it stands for, from
    /// which krilla writes the ToUnicode map that makes the text extractable.
    fn shape(&self, text: &str) -> Vec<KrillaGlyph> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        // Letters are Norwegian (or at least Latin) text, laid out left to right.
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        buffer.set_script(rustybuzz::script::LATIN);
        let output = rustybuzz::shape_with_plan(&self.shaper, &self.plan, buffer);
        let infos = output.glyph_infos();
        let upem = self.units_per_em;
        infos
            .iter()
            .zip(output.glyph_positions())
            .enumerate()
            .map(|(i, (info, pos))| {
                let start = info.cluster as usize;
                // A cluster ends where the next cluster starts.
                let end = infos[i + 1..]
                    .iter()
                    .map(|next| next.cluster as usize)
                    .find(|&cluster| cluster != start)
                    .unwrap_or(text.len());
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / upem,
                    pos.x_offset as f32 / upem,
                    pos.y_offset as f32 / upem,
                    pos.y_advance as f32 / upem,
                    start..end,
                    None,
                )
            })
            .collect()
    }
}

/// A structure element of the letter, in reading order.
#[derive(Debug)]
enum Block {
    Heading {
        level: u16,
        text: String,
    },
    Paragraph,
    /// A fact list, tagged as a table with a row header per fact.
    Facts {
        rows: usize,
    },
}

/// Which structure element a line of text belongs to.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Block(usize),
    Cell {
        block: usize,
        row: usize,
        col: usize,
    },
}

/// One line of text placed on a page; `y` is the top of its line box.
#[derive(Debug)]
struct Run {
    x: f32,
    y: f32,
    ty: Type,
    text: String,
    slot: Slot,
}

/// Flows text top to bottom over as many pages as needed.
struct Layout<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Run>>,
    blocks: Vec<Block>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            blocks: Vec::new(),
            y: MARGIN_TOP,
        }
    }

    fn block(&mut self, block: Block) -> usize {
        self.blocks.push(block);
        self.blocks.len() - 1
    }

    /// Starts a new page unless `height` still fits on this one.
    fn reserve(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM && self.y > MARGIN_TOP {
            self.pages.push(Vec::new());
            self.y = MARGIN_TOP;
        }
    }

    /// Vertical space, dropped at the top of a page.
    fn gap(&mut self, height: f32) {
        if self.y > MARGIN_TOP {
            self.y += height;
        }
    }

    /// Places one line at the current position and moves down.
    fn place(&mut self, x: f32, ty: Type, text: String, slot: Slot) {
        if !text.is_empty() {
            let run = Run {
                x,
                y: self.y,
                ty,
                text,
                slot,
            };
            self.pages.last_mut().expect("layout has a page").push(run);
        }
        self.y += ty.line_height();
    }

    /// Wraps `text` to `width` and places the lines, breaking pages as needed.
    /// `keep` is the height that must fit before the first line is placed.
    fn flow(&mut self, x: f32, width: f32, ty: Type, text: &str, slot: Slot, keep: f32) {
        let lines = self.fonts.wrap(ty, width, text);
        self.reserve(keep);
        for line in lines {
            self.reserve(ty.line_height());
            self.place(x, ty, line, slot);
        }
    }

    /// Places short lines (an address, a signature) without splitting them
    /// over two pages.
    fn lines(&mut self, x: f32, width: f32, ty: Type, lines: &[String], slot: Slot) {
        let wrapped: Vec<String> = lines
            .iter()
            .flat_map(|line| self.fonts.wrap(ty, width, line))
            .collect();
        self.reserve(wrapped.len() as f32 * ty.line_height());
        for line in wrapped {
            self.place(x, ty, line, slot);
        }
    }

    fn paragraph(&mut self, text: &str) {
        let slot = Slot::Block(self.block(Block::Paragraph));
        // Leave no single line of a paragraph at the foot of a page.
        let keep = if text.contains(' ') { 2.0 } else { 1.0 } * BODY.line_height();
        self.flow(MARGIN_LEFT, TEXT_WIDTH, BODY, text, slot, keep);
        self.gap(BLOCK_GAP);
    }

    fn heading(&mut self, level: u16, ty: Type, text: &str) {
        self.gap(BLOCK_GAP / 2.0);
        let block = Block::Heading {
            level,
            text: text.to_owned(),
        };
        let slot = Slot::Block(self.block(block));
        // Keep the heading together with two lines of what follows.
        let own = self.fonts.wrap(ty, TEXT_WIDTH, text).len() as f32 * ty.line_height();
        let keep = own + 2.0 * BODY.line_height();
        self.flow(MARGIN_LEFT, TEXT_WIDTH, ty, text, slot, keep);
        self.gap(BLOCK_GAP / 2.0);
    }

    fn facts(&mut self, facts: &[(String, String)]) {
        if facts.is_empty() {
            return;
        }
        let block = self.block(Block::Facts { rows: facts.len() });
        let fonts = self.fonts;
        let widest = facts
            .iter()
            .map(|(label, _)| fonts.width(BODY, label))
            .fold(0.0, f32::max);
        let label_width = widest.clamp(30.0 * MM, TEXT_WIDTH * 0.45);
        let value_x = MARGIN_LEFT + label_width + FACTS_GUTTER;
        let value_width = MARGIN_LEFT + TEXT_WIDTH - value_x;

        for (row, (label, value)) in facts.iter().enumerate() {
            let labels = fonts.wrap(BODY, label_width, label);
            let values = fonts.wrap(BODY, value_width, value);
            let height = labels.len().max(values.len()) as f32 * BODY.line_height();
            // A fact is never split over two pages.
            self.reserve(height);
            let top = self.y;
            let columns = [(MARGIN_LEFT, labels), (value_x, values)];
            for (col, (x, cell)) in columns.into_iter().enumerate() {
                self.y = top;
                for line in cell {
                    self.place(x, BODY, line, Slot::Cell { block, row, col });
                }
            }
            self.y = top + height + 2.0;
        }
        self.gap(BLOCK_GAP);
    }
}

fn lay_out(letter: &Letter, fonts: &Fonts) -> (Vec<Vec<Run>>, Vec<Block>) {
    let mut layout = Layout::new(fonts);

    // Letterhead: sender on the left, its first line larger and bold.
    let sender = Slot::Block(layout.block(Block::Paragraph));
    for (i, line) in letter.sender.iter().enumerate() {
        let ty = if i == 0 { SENDER } else { SMALL };
        for line in fonts.wrap(ty, LEFT_COLUMN_WIDTH, line) {
            layout.place(MARGIN_LEFT, ty, line, sender);
        }
    }
    let left_bottom = layout.y;

    // Title, date and reference in the right column.
    let right_width = MARGIN_LEFT + TEXT_WIDTH - RIGHT_COLUMN_X;
    layout.y = MARGIN_TOP;
    let title = Slot::Block(layout.block(Block::Heading {
        level: 1,
        text: letter.title.clone(),
    }));
    for line in fonts.wrap(TITLE, right_width, &letter.title) {
        layout.place(RIGHT_COLUMN_X, TITLE, line, title);
    }
    layout.y += 2.0;
    let date_ref = Slot::Block(layout.block(Block::Paragraph));
    let date = format!("Vår dato: {}", letter.date.format("%d.%m.%Y"));
    let reference = format!("Vår referanse: {}", letter.reference);
    for text in [date, reference] {
        for line in fonts.wrap(SMALL, right_width, &text) {
            layout.place(RIGHT_COLUMN_X, SMALL, line, date_ref);
        }
    }

    layout.y = layout.y.max(left_bottom).max(RECIPIENT_TOP) + 4.0;
    let recipient = Slot::Block(layout.block(Block::Paragraph));
    layout.lines(
        MARGIN_LEFT,
        LEFT_COLUMN_WIDTH,
        BODY,
        &letter.recipient,
        recipient,
    );

    layout.y += 3.0 * BODY.line_height();
    layout.heading(2, SUBJECT, &letter.subject);
    layout.gap(BLOCK_GAP / 2.0);

    for block in &letter.body {
        match block {
            LetterBlock::Heading(text) => layout.heading(3, HEADING, text),
            LetterBlock::Paragraph(text) => layout.paragraph(text),
            LetterBlock::Facts(facts) => layout.facts(facts),
        }
    }

    layout.gap(BLOCK_GAP);
    let signature = Slot::Block(layout.block(Block::Paragraph));
    layout.lines(MARGIN_LEFT, TEXT_WIDTH, BODY, &letter.signature, signature);

    (layout.pages, layout.blocks)
}

fn draw_line(surface: &mut Surface, fonts: &Fonts, x: f32, top: f32, ty: Type, text: &str) {
    let face = fonts.face(ty.style);
    let glyphs = face.shape(text);
    let baseline = top + BASELINE * ty.size;
    surface.draw_glyphs(
        Point::from_xy(x, baseline),
        &glyphs,
        face.pdf.clone(),
        text,
        ty.size,
        false,
    );
}

/// The footer is pagination, not content, so it is marked as an artifact and
/// left out of the structure tree.
fn draw_footer(surface: &mut Surface, fonts: &Fonts, letter: &Letter, page: usize, total: usize) {
    let top = FOOTER_BASELINE - BASELINE * FOOTER.size;
    let artifact = Artifact::new(ArtifactType::PageNumber, None);
    surface.start_tagged(ContentTag::Artifact(artifact));
    if !letter.reference.is_empty() {
        let reference = fonts.printable(FOOTER, &format!("Vår referanse: {}", letter.reference));
        draw_line(surface, fonts, MARGIN_LEFT, top, FOOTER, &reference);
    }
    let number = format!("Side {page} av {total}");
    let x = MARGIN_LEFT + TEXT_WIDTH - fonts.width(FOOTER, &number);
    draw_line(surface, fonts, x, top, FOOTER, &number);
    surface.end_tagged();
}

/// Builds the structure tree: blocks in reading order, each holding the
/// marked-content identifiers of its lines.
fn tag_tree(blocks: &[Block], ids: Vec<(Slot, Identifier)>) -> TagTree {
    let mut groups: Vec<TagGroup> = blocks.iter().map(block_group).collect();
    let mut cells: Vec<Vec<[Vec<Identifier>; 2]>> = blocks
        .iter()
        .map(|block| match block {
            Block::Facts { rows } => vec![[Vec::new(), Vec::new()]; *rows],
            _ => Vec::new(),
        })
        .collect();

    for (slot, id) in ids {
        match slot {
            Slot::Block(block) => groups[block].push(id),
            Slot::Cell { block, row, col } => cells[block][row][col].push(id),
        }
    }

    let mut tree = TagTree::new().with_lang(Some(LANG.to_owned()));
    for (mut group, rows) in groups.into_iter().zip(cells) {
        for [label, value] in rows {
            let nodes = |ids: Vec<Identifier>| ids.into_iter().map(Node::from).collect();
            let header = TagGroup::with_children(Tag::TH(TableHeaderScope::Row), nodes(label));
            let data = TagGroup::with_children(Tag::TD, nodes(value));
            group.push(TagGroup::with_children(
                Tag::TR,
                vec![header.into(), data.into()],
            ));
        }
        tree.push(group);
    }
    tree
}

fn block_group(block: &Block) -> TagGroup {
    match block {
        Block::Heading { level, text } => {
            let level = NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN);
            TagGroup::new(Tag::Hn(level, Some(text.clone())))
        }
        Block::Paragraph => TagGroup::new(Tag::P),
        Block::Facts { .. } => TagGroup::new(Tag::Table),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2019, 3, 12, 9, 30, 0).unwrap()
    }

    /// A realistic grant letter with enough body text for two pages.
    fn sample_letter() -> Letter {
        let filler = "Tilskuddet skal brukes i tråd med formålet for ordningen og i samsvar med \
            søknaden. Kommunen må gi beskjed til Statsforvalteren dersom forutsetningene for \
            tilskuddet endrer seg vesentlig, eller dersom det blir klart at midlene ikke blir \
            brukt som forutsatt. Ubrukte midler skal betales tilbake – også når årsaken ligger \
            utenfor kommunens kontroll. ÆØÅ æøå.";
        let mut body = vec![
            LetterBlock::Paragraph(
                "Vi viser til søknad om tilskudd fra Frosta kommune, mottatt 15. februar 2019."
                    .to_owned(),
            ),
            LetterBlock::Heading("Vedtak".to_owned()),
            LetterBlock::Paragraph(
                "Statsforvalteren i Trøndelag innvilger Frosta kommune et tilskudd på \
                 350\u{a0}000 kr (tre hundre og femti tusen kroner) til styrking av \
                 habiliteringstjenesten i 2019."
                    .to_owned(),
            ),
            LetterBlock::Facts(vec![
                ("Tilskudd".to_owned(), "350\u{a0}000 kr".to_owned()),
                ("Kapittel/post".to_owned(), "0765.62".to_owned()),
                ("Rapportfrist".to_owned(), "1. mars 2021".to_owned()),
                (
                    "Vilkår".to_owned(),
                    "Rapport om bruk av midlene og revisorbekreftet regnskap dersom \
                     tilskuddet overstiger 200\u{a0}000 kr."
                        .to_owned(),
                ),
            ]),
            LetterBlock::Heading("Vilkår for tilskuddet".to_owned()),
        ];
        for _ in 0..8 {
            body.push(LetterBlock::Paragraph(filler.to_owned()));
        }
        body.push(LetterBlock::Heading("Klageadgang".to_owned()));
        body.push(LetterBlock::Paragraph(
            "Vedtaket kan påklages innen tre uker.\nKlagen sendes til Statsforvalteren.".to_owned(),
        ));
        Letter {
            title: "Tilskuddsbrev".to_owned(),
            sender: vec![
                "Statsforvalteren i Trøndelag".to_owned(),
                "Postboks 4710 Torgarden".to_owned(),
                "7468 Trondheim".to_owned(),
            ],
            recipient: vec![
                "Frosta kommune".to_owned(),
                "Att.: Kari Nordmann".to_owned(),
                "Frostavegen 1520".to_owned(),
                "7633 Frosta".to_owned(),
            ],
            date: NaiveDate::from_ymd_opt(2019, 3, 12).unwrap(),
            reference: "2019/1234 – søknad 36".to_owned(),
            subject: "Tilskudd til styrking av habilitering 2019 – Frosta kommune".to_owned(),
            body,
            signature: vec![
                "Med hilsen".to_owned(),
                String::new(),
                "Kari Saksbehandler".to_owned(),
                "seniorrådgiver".to_owned(),
            ],
        }
    }

    fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("{name}-{}.pdf", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs a poppler tool, or returns None when poppler-utils is not installed (CI sets
    /// `TILSKUDD_REQUIRE_PDF_TOOLS` and installs them, so there it is never skipped).
    fn poppler(tool: &str, args: &[&str]) -> Option<String> {
        let output = match Command::new(tool).args(args).output() {
            Ok(output) => output,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && std::env::var_os("TILSKUDD_REQUIRE_PDF_TOOLS").is_none() =>
            {
                eprintln!("{tool} not found (apt-get install poppler-utils); skipping");
                return None;
            }
            Err(e) => panic!("{tool}: {e}"),
        };
        assert!(output.status.success(), "{tool} failed: {output:?}");
        Some(String::from_utf8(output.stdout).unwrap())
    }

    #[test]
    fn renders_valid_pdf_a_deterministically() {
        let letter = sample_letter();
        let pdf = letter_pdf(&letter, created()).expect("PDF/A-2a validation passes");
        assert!(pdf.starts_with(b"%PDF-1.7"));
        assert_eq!(pdf, letter_pdf(&letter, created()).unwrap());
    }

    #[test]
    fn empty_letter_renders() {
        let letter = Letter {
            title: "Tilskuddsbrev".to_owned(),
            sender: Vec::new(),
            recipient: Vec::new(),
            date: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            reference: String::new(),
            subject: String::new(),
            body: vec![
                LetterBlock::Facts(Vec::new()),
                LetterBlock::Paragraph(String::new()),
            ],
            signature: Vec::new(),
        };
        letter_pdf(&letter, created()).unwrap();
    }

    #[test]
    fn unsupported_characters_do_not_break_pdf_a() {
        let mut letter = sample_letter();
        letter.title = String::new();
        letter.recipient[1] = "Att.: Kari Nordmann 😀 中文\tÁŋŧžčđš\r".to_owned();
        letter.body.push(LetterBlock::Heading(String::new()));
        letter
            .body
            .push(LetterBlock::Paragraph("\u{1}\n\n".to_owned()));
        letter_pdf(&letter, created()).expect("still valid PDF/A-2a");
    }

    #[test]
    fn long_paragraph_spans_many_pages() {
        let mut letter = sample_letter();
        letter.body = vec![LetterBlock::Paragraph(
            "Tilskudd på 350\u{a0}000 kr. ".repeat(600),
        )];
        let fonts = Fonts::load().unwrap();
        let (pages, _) = lay_out(&letter, &fonts);
        assert!(pages.len() > 2, "{} pages", pages.len());
        for run in pages.iter().flatten() {
            assert!(run.y >= MARGIN_TOP && run.y + run.ty.line_height() <= BODY_BOTTOM + 0.01);
            assert!(run.x + fonts.width(run.ty, run.text.trim_end()) <= PAGE_WIDTH - MARGIN_RIGHT);
        }
        letter_pdf(&letter, created()).unwrap();
    }

    #[test]
    fn wraps_within_width_and_keeps_no_break_spaces() {
        let fonts = Fonts::load().unwrap();
        let text = "Tilskudd på 350\u{a0}000 kr ".repeat(20);
        let lines = fonts.wrap(BODY, 200.0, &text);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(fonts.width(BODY, line.trim_end()) <= 200.0, "{line}");
            assert!(!line.ends_with("350 "), "amount split: {line}");
        }
        // Soft breaks keep a space between the words of adjacent lines.
        assert_eq!(lines.concat(), text.trim_end());
        let long = "x".repeat(200);
        let pieces = fonts.wrap(BODY, 100.0, &long);
        assert!(pieces.len() > 2);
        assert_eq!(pieces.concat(), long);
        assert_eq!(fonts.wrap(BODY, 100.0, "a\n\nb"), ["a", "", "b"]);
    }

    #[test]
    fn text_metadata_and_fonts_are_readable_by_poppler() {
        let pdf = letter_pdf(&sample_letter(), created()).unwrap();
        let path = write_temp("tilskuddsbrev", &pdf);
        // Set KEEP_LETTER_PDF=some/file.pdf to look at the rendered letter.
        if let Ok(keep) = std::env::var("KEEP_LETTER_PDF") {
            std::fs::write(keep, &pdf).unwrap();
        }
        let file = path.to_str().unwrap();

        let Some(text) = poppler("pdftotext", &["-layout", file, "-"]) else {
            return;
        };
        let normalized = text.replace('\u{a0}', " ");
        for expected in [
            "350 000 kr",
            "Frosta kommune",
            "Statsforvalteren i Trøndelag",
            "2019/1234 – søknad 36",
            "ÆØÅ æøå",
            "seniorrådgiver",
            "Side 1 av 2",
            "Side 2 av 2",
        ] {
            assert!(
                normalized.contains(expected),
                "{expected:?} missing in:\n{text}"
            );
        }

        let info = poppler("pdfinfo", &[file]).unwrap();
        println!("{info}");
        assert!(info.contains("Tilskuddsbrev"), "{info}");
        assert!(info.contains("Pages:           2"), "{info}");
        assert!(info.contains("Tagged:          yes"), "{info}");
        let meta = poppler("pdfinfo", &["-meta", file]).unwrap();
        assert!(
            meta.contains("<pdfaid:part>2</pdfaid:part>") || meta.contains("pdfaid:part=\"2\""),
            "{meta}"
        );

        let fonts = poppler("pdffonts", &[file]).unwrap();
        println!("{fonts}");
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{fonts}");
        for row in rows {
            assert!(row.contains("LiberationSans"), "{fonts}");
            // Columns: name type encoding emb sub uni object ID
            let columns: Vec<&str> = row.split_whitespace().collect();
            let n = columns.len();
            assert_eq!(&columns[n - 5..n - 2], ["yes", "yes", "yes"], "{row}");
        }
        std::fs::remove_file(path).ok();
    }
}
