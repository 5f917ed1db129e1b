//! The annotations on the page (F12), sans-IO: strokes as their authors draw them, in page
//! coordinates, with limits and clamping. The clients draw them over the view; they never
//! reach the page. A laser stroke is passed on and never kept.

use crate::input::Rejection;
use model::ParticipantId;
use protocol::{AnnotationKind, PagePoint, RejectCode, Stroke};

/// Points one stroke may have.
pub(crate) const MAX_POINTS_PER_STROKE: usize = 2000;
/// Strokes kept on one page, everyone's together.
pub(crate) const MAX_STROKES_PER_PAGE: usize = 200;
/// Page coordinates are clamped into ± this (Chromium lays pages out no further).
pub(crate) const MAX_PAGE_COORD: f64 = 33_554_431.0;

/// A stroke being drawn or kept, as a message asks for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    pub(crate) id: u32,
    pub(crate) kind: AnnotationKind,
    pub(crate) points: Vec<PagePoint>,
    pub(crate) done: bool,
}

/// What is drawn on the current page.
#[derive(Default)]
pub(crate) struct Board {
    /// Kept strokes, oldest first.
    strokes: Vec<Stroke>,
    /// Each participant's laser trail being drawn: its id and how many points it has.
    lasers: Vec<(ParticipantId, u32, usize)>,
    /// The document the strokes are on (its address without the fragment).
    document: Option<String>,
}

impl Board {
    /// Takes `piece` from `author` (whose colour is `color`): the piece to pass on to the
    /// others, with its points clamped, or why not. A refused piece changes nothing.
    pub(crate) fn annotate(
        &mut self,
        author: &ParticipantId,
        color: u8,
        piece: Piece,
    ) -> Result<Stroke, Rejection> {
        if piece.points.is_empty() && !piece.done {
            return Err(Rejection::new(RejectCode::InvalidInput, "an annotation needs points"));
        }
        let points = clamp_points(&piece.points)?;
        let too_many = || {
            Rejection::new(
                RejectCode::TooManyPoints,
                format!("a stroke may have at most {MAX_POINTS_PER_STROKE} points"),
            )
        };
        if piece.kind == AnnotationKind::Laser {
            let n_before = match self.lasers.iter().position(|l| &l.0 == author) {
                Some(i) if self.lasers[i].1 == piece.id => self.lasers[i].2,
                Some(i) => {
                    // A new trail replaces the participant's last one.
                    self.lasers.swap_remove(i);
                    0
                }
                None => 0,
            };
            let n_points = n_before + points.len();
            if n_points > MAX_POINTS_PER_STROKE {
                return Err(too_many());
            }
            self.lasers.retain(|l| &l.0 != author);
            if !piece.done {
                self.lasers.push((author.clone(), piece.id, n_points));
            }
        } else if let Some(stroke) =
            self.strokes.iter_mut().find(|s| &s.participant == author && s.id == piece.id)
        {
            if stroke.kind != piece.kind {
                return Err(Rejection::new(
                    RejectCode::InvalidInput,
                    "a stroke cannot change its tool",
                ));
            }
            if stroke.done {
                return Err(Rejection::new(RejectCode::InvalidInput, "this stroke is finished"));
            }
            if stroke.points.len() + points.len() > MAX_POINTS_PER_STROKE {
                return Err(too_many());
            }
            stroke.points.extend_from_slice(&points);
            stroke.done = piece.done;
        } else {
            if points.len() > MAX_POINTS_PER_STROKE {
                return Err(too_many());
            }
            if self.strokes.len() >= MAX_STROKES_PER_PAGE {
                return Err(Rejection::new(
                    RejectCode::TooManyStrokes,
                    format!(
                        "a page holds at most {MAX_STROKES_PER_PAGE} annotations; clear some first"
                    ),
                ));
            }
            self.strokes.push(Stroke {
                participant: author.clone(),
                id: piece.id,
                kind: piece.kind,
                color,
                points: points.clone(),
                done: piece.done,
            });
        }
        Ok(Stroke {
            participant: author.clone(),
            id: piece.id,
            kind: piece.kind,
            color,
            points,
            done: piece.done,
        })
    }

    /// Takes back `author`'s newest stroke; its id, when they had one.
    pub(crate) fn undo(&mut self, author: &ParticipantId) -> Option<u32> {
        let i = self.strokes.iter().rposition(|s| &s.participant == author)?;
        Some(self.strokes.remove(i).id)
    }

    /// Removes everything; whether there was anything.
    pub(crate) fn clear(&mut self) -> bool {
        let had = !self.strokes.is_empty() || !self.lasers.is_empty();
        self.strokes.clear();
        self.lasers.clear();
        had
    }

    /// The page's address is now `url`: another document clears the board (whether there was
    /// anything); moving within the document (a fragment) does not.
    pub(crate) fn on_address(&mut self, url: &str) -> bool {
        let document = url.split('#').next().unwrap_or(url);
        if self.document.as_deref() == Some(document) {
            return false;
        }
        let first = self.document.is_none();
        self.document = Some(document.to_owned());
        !first && self.clear()
    }

    /// The strokes kept, oldest first.
    pub(crate) fn strokes(&self) -> &[Stroke] {
        &self.strokes
    }
}

/// Points as they may be kept: numbers, within the page's reach, to a hundredth of a pixel.
fn clamp_points(points: &[PagePoint]) -> Result<Vec<PagePoint>, Rejection> {
    points
        .iter()
        .map(|[x, y]| {
            if !x.is_finite() || !y.is_finite() {
                return Err(Rejection::new(
                    RejectCode::InvalidInput,
                    "annotation points must be numbers",
                ));
            }
            let tidy = |v: f64| (v.clamp(-MAX_PAGE_COORD, MAX_PAGE_COORD) * 100.0).round() / 100.0;
            Ok([tidy(*x), tidy(*y)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(id: u32, kind: AnnotationKind, points: &[PagePoint], done: bool) -> Piece {
        Piece { id, kind, points: points.to_vec(), done }
    }

    fn pen(id: u32, points: &[PagePoint], done: bool) -> Piece {
        piece(id, AnnotationKind::Pen, points, done)
    }

    #[test]
    fn a_stroke_grows_piece_by_piece_and_each_piece_is_passed_on_clamped() {
        let (mut board, anna) = (Board::default(), ParticipantId::random());
        let first = board.annotate(&anna, 2, pen(1, &[[10.004, 20.0]], false)).unwrap();
        assert_eq!(
            (first.id, first.color, first.points.clone(), first.done),
            (1, 2, vec![[10.0, 20.0]], false)
        );
        let next = board.annotate(&anna, 2, pen(1, &[[1e12, -1e12], [5.0, 6.0]], true)).unwrap();
        assert_eq!(next.points, vec![[MAX_PAGE_COORD, -MAX_PAGE_COORD], [5.0, 6.0]]);
        let kept = &board.strokes()[0];
        assert_eq!((kept.points.len(), kept.done), (3, true));
        let more = board.annotate(&anna, 2, pen(1, &[[1.0, 1.0]], false)).unwrap_err();
        assert_eq!(more.code, RejectCode::InvalidInput);
        let retool = board.annotate(&anna, 2, piece(1, AnnotationKind::Rect, &[[1.0, 1.0]], false));
        assert_eq!(retool.unwrap_err().code, RejectCode::InvalidInput);
    }

    #[test]
    fn not_a_number_anywhere_refuses_the_piece_and_keeps_the_stroke() {
        let (mut board, anna) = (Board::default(), ParticipantId::random());
        board.annotate(&anna, 1, pen(7, &[[1.0, 1.0]], false)).unwrap();
        for bad in [[f64::NAN, 1.0], [1.0, f64::INFINITY], [f64::NEG_INFINITY, 0.0]] {
            let refused = board.annotate(&anna, 1, pen(7, &[[2.0, 2.0], bad], false)).unwrap_err();
            assert_eq!(refused.code, RejectCode::InvalidInput);
        }
        assert_eq!(board.strokes()[0].points, vec![[1.0, 1.0]]);
        let empty = board.annotate(&anna, 1, pen(8, &[], false)).unwrap_err();
        assert_eq!(empty.code, RejectCode::InvalidInput);
    }

    #[test]
    fn points_per_stroke_and_strokes_per_page_are_limited() {
        let (mut board, anna) = (Board::default(), ParticipantId::random());
        let huge = vec![[1.0, 1.0]; 100_000];
        assert_eq!(
            board.annotate(&anna, 1, pen(1, &huge, false)).unwrap_err().code,
            RejectCode::TooManyPoints
        );
        assert!(board.strokes().is_empty());
        let half = vec![[1.0, 1.0]; MAX_POINTS_PER_STROKE / 2];
        board.annotate(&anna, 1, pen(1, &half, false)).unwrap();
        board.annotate(&anna, 1, pen(1, &half, false)).unwrap();
        assert_eq!(
            board.annotate(&anna, 1, pen(1, &[[2.0, 2.0]], false)).unwrap_err().code,
            RejectCode::TooManyPoints
        );
        for id in 2..=MAX_STROKES_PER_PAGE as u32 {
            board.annotate(&anna, 1, pen(id, &[[1.0, 1.0]], true)).unwrap();
        }
        let full = board.annotate(&anna, 1, pen(9999, &[[1.0, 1.0]], true)).unwrap_err();
        assert_eq!(full.code, RejectCode::TooManyStrokes);
        // A laser is never kept, so a full page still takes one.
        let laser = piece(1, AnnotationKind::Laser, &[[3.0, 3.0]], false);
        assert!(board.annotate(&anna, 1, laser).is_ok());
        assert!(board.clear());
        assert!(board.annotate(&anna, 1, pen(9999, &[[1.0, 1.0]], true)).is_ok());
    }

    #[test]
    fn lasers_are_passed_on_but_never_kept_and_their_points_are_limited_too() {
        let (mut board, anna) = (Board::default(), ParticipantId::random());
        let trail = vec![[4.0, 4.0]; MAX_POINTS_PER_STROKE];
        let laser = |id, points: &[PagePoint], done| piece(id, AnnotationKind::Laser, points, done);
        assert_eq!(
            board.annotate(&anna, 3, laser(5, &trail, false)).unwrap().points.len(),
            MAX_POINTS_PER_STROKE
        );
        assert_eq!(
            board.annotate(&anna, 3, laser(5, &[[1.0, 1.0]], false)).unwrap_err().code,
            RejectCode::TooManyPoints
        );
        // The author starts a new trail when one is long.
        assert!(board.annotate(&anna, 3, laser(6, &[[1.0, 1.0]], true)).is_ok());
        assert!(board.strokes().is_empty());
    }

    #[test]
    fn undo_takes_back_the_authors_newest_stroke_only() {
        let mut board = Board::default();
        let (anna, carl) = (ParticipantId::random(), ParticipantId::random());
        board.annotate(&anna, 1, pen(1, &[[1.0, 1.0]], true)).unwrap();
        board.annotate(&carl, 0, pen(1, &[[2.0, 2.0]], true)).unwrap();
        board.annotate(&anna, 1, pen(2, &[[3.0, 3.0]], true)).unwrap();
        assert_eq!(board.undo(&anna), Some(2));
        assert_eq!(board.undo(&anna), Some(1));
        assert_eq!(board.undo(&anna), None);
        assert_eq!(board.strokes().len(), 1);
        assert_eq!(board.strokes()[0].participant, carl);
    }

    #[test]
    fn another_document_clears_the_board_a_fragment_does_not() {
        let (mut board, anna) = (Board::default(), ParticipantId::random());
        assert!(!board.on_address("https://shop.example/cart"));
        board.annotate(&anna, 1, pen(1, &[[1.0, 1.0]], true)).unwrap();
        assert!(!board.on_address("https://shop.example/cart#total"));
        assert_eq!(board.strokes().len(), 1);
        assert!(board.on_address("https://shop.example/checkout"));
        assert!(board.strokes().is_empty());
        assert!(!board.on_address("https://shop.example/pay"), "nothing was there to clear");
    }
}
