//! The object view shared by the particle-set encoders: pT-ordering and tokens.

use oddity_core::Event;

/// Type code of the MET pseudo-token (physics-spec §1; particle set with `met = "token"`).
pub const MET_CODE: u8 = 8;

/// One token of the particle set, as the pair features and the SM channel see it.
///
/// Units: GeV for `e`, `px`, `py`, `pz`; `eta` is the pseudorapidity as read (0 for the MET
/// token), used only where the spec asks for η instead of rapidity.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Token {
    /// Object code 1-7 (physics-spec §1), or [`MET_CODE`].
    pub code: u8,
    pub e: f64,
    pub px: f64,
    pub py: f64,
    pub pz: f64,
    pub eta: f64,
}

impl Token {
    /// Transverse momentum sqrt(p_x² + p_y²), GeV.
    pub fn pt(&self) -> f64 {
        self.px.hypot(self.py)
    }
}

/// Writes into `order` the indices (into `event.objects`) of the objects sorted by pT
/// descending, ties in file order (physics-spec §5: results never depend on file order
/// beyond ties). Reuses `order`'s allocation.
pub fn pt_order(event: &Event<'_>, order: &mut Vec<usize>) {
    order.clear();
    order.extend(0..event.objects.len());
    let pt = event.objects.pt;
    // Stable sort keeps file order among equal pT.
    order.sort_by(|&a, &b| pt[b].total_cmp(&pt[a]));
}

/// Fills `tokens` with the (at most `max`) highest-pT objects of `event`, pT-descending.
/// `order` is scratch space.
pub fn event_tokens(event: &Event<'_>, max: usize, order: &mut Vec<usize>, tokens: &mut Vec<Token>) {
    pt_order(event, order);
    tokens.clear();
    for &i in order.iter().take(max) {
        let o = event.objects.get(i);
        let p = o.p4();
        tokens.push(Token { code: o.kind.code(), e: p.e, px: p.px, py: p.py, pz: p.pz, eta: o.eta });
    }
}
