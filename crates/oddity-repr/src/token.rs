//! The object view shared by the particle-set encoders: pT-ordering and tokens.

use multiversion::multiversion;
use oddity_core::Event;

use crate::vmath::LANES;

/// Type code of the MET pseudo-token (physics-spec §1; particle set with `met = "token"`).
pub const MET_CODE: u8 = 8;

/// One token of the particle set, as the pair features and the SM channel see it.
///
/// Units: GeV for `e`, `px`, `py`, `pz`, `pt`; `eta` is the pseudorapidity as read (0 for the
/// MET token), used only where the spec asks for η instead of rapidity; `phi` = atan2(p_y, p_x)
/// in [−π, π].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Token {
    /// Object code 1-7 (physics-spec §1), or [`MET_CODE`].
    pub code: u8,
    pub e: f64,
    pub px: f64,
    pub py: f64,
    pub pz: f64,
    pub eta: f64,
    /// Transverse momentum, GeV.
    pub pt: f64,
    /// ln p_T (−∞ for p_T = 0), computed once for the token features and the pair channels.
    pub ln_pt: f64,
    /// ln E (−∞ for E = 0), for the token features.
    pub ln_e: f64,
    /// Azimuth atan2(p_y, p_x), rad.
    pub phi: f64,
}

impl Token {
    /// A token from its four-vector (GeV), with p_T = hypot(p_x, p_y) and φ = atan2(p_y, p_x).
    pub fn new(code: u8, e: f64, px: f64, py: f64, pz: f64, eta: f64) -> Self {
        let pt = px.hypot(py);
        Self { code, e, px, py, pz, eta, pt, ln_pt: pt.ln(), ln_e: e.ln(), phi: py.atan2(px) }
    }
}

/// Writes into `order` the indices (into `pt`, an event's object p_T, e.g.
/// `event.objects.pt`) of the objects sorted by pT descending, ties in file order
/// (physics-spec §5: results never depend on file order beyond ties). Reuses `order`'s
/// allocation.
pub fn pt_order(pt: &[f64], order: &mut Vec<usize>) {
    order.clear();
    order.extend(0..pt.len());
    if order.len() > INSERTION_MAX {
        // Stable sort keeps file order among equal pT.
        order.sort_by(|&a, &b| pt[b].total_cmp(&pt[a]));
        return;
    }
    // Insertion sort, stable (an object moves only past strictly smaller pT), inlined here:
    // events hold a handful of objects, and the library sort's small-slice path with its
    // out-of-line comparator was ~12 % of the particle-set encoding (perf).
    for k in 1..order.len() {
        let cur = order[k];
        let mut at = k;
        while at > 0 && pt[cur].total_cmp(&pt[order[at - 1]]).is_gt() {
            order[at] = order[at - 1];
            at -= 1;
        }
        order[at] = cur;
    }
}

/// Longest object list [`pt_order`] sorts by insertion.
const INSERTION_MAX: usize = 32;

/// Fills `tokens` with the (at most `max`) highest-pT objects of `event`, pT-descending.
/// `order` is scratch space.
///
/// p_T, η and φ are taken as read rather than recomputed from the four-vector (equal to
/// rounding, and libm calls saved); φ outside [−π, π] (the reader keeps values within 1e-6
/// rad beyond ±π) is mapped in as atan2 would. The four-vectors and logarithms are computed
/// four tokens at a time ([`crate::vmath::object_parts`]), with AVX2 where the CPU has it
/// (selected at run time, same results).
#[multiversion(targets("x86_64+avx2"))]
pub fn event_tokens(event: &Event<'_>, max: usize, order: &mut Vec<usize>, tokens: &mut Vec<Token>) {
    pt_order(event.objects.pt, order);
    tokens.clear();
    let kept = &order[..order.len().min(max)];
    for group in kept.chunks(LANES) {
        // Unused lanes hold (1, 1, 0, 0), harmless to every function.
        let (mut e, mut pt, mut eta, mut phi) = ([1.0; LANES], [1.0; LANES], [0.0; LANES], [0.0; LANES]);
        let mut code = [0u8; LANES];
        for (k, &o) in group.iter().enumerate() {
            let obj = event.objects.get(o);
            (code[k], e[k], pt[k], eta[k], phi[k]) = (obj.kind.code(), obj.e, obj.pt, obj.eta, obj.phi);
        }
        let [px, py, pz, ln_pt, ln_e] = crate::vmath::object_parts(e, pt, eta, phi);
        for k in 0..group.len() {
            let phi = if phi[k].abs() <= std::f64::consts::PI { phi[k] } else { py[k].atan2(px[k]) };
            tokens.push(Token {
                code: code[k],
                e: e[k],
                px: px[k],
                py: py[k],
                pz: pz[k],
                eta: eta[k],
                pt: pt[k],
                ln_pt: ln_pt[k],
                ln_e: ln_e[k],
                phi,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use oddity_core::{EventTable, ObjectKind};

    use super::*;

    /// Insertion sort (short lists) and the library sort (long lists) give the same stable
    /// pT-descending order, ties in file order.
    #[test]
    fn pt_order_is_stable_and_descending_for_short_and_long_events() {
        use rand::Rng;
        let mut rng = crate::event_rng(5, 0);
        let mut table = EventTable::new();
        for n in [0usize, 1, 2, 5, 17, 32, 33, 80] {
            table.push_event(oddity_core::EventHeader {
                event_id: n as i64,
                process: "p",
                weight: 1.0,
                met: 0.0,
                met_phi: 0.0,
                source_line: 1,
            });
            for _ in 0..n {
                // Few distinct values, so that ties are common.
                let pt = f64::from(rng.random_range(1..6u8)) * 10.0;
                table.push_object(ObjectKind::Jet, pt * 2.0, pt, 0.0, 0.0);
            }
        }
        let mut order = Vec::new();
        for i in 0..table.len() {
            let event = table.event(i);
            pt_order(event.objects.pt, &mut order);
            let pt = event.objects.pt;
            let mut want: Vec<usize> = (0..pt.len()).collect();
            want.sort_by(|&a, &b| pt[b].total_cmp(&pt[a]));
            assert_eq!(order, want, "event with {} objects", pt.len());
        }
    }
}
