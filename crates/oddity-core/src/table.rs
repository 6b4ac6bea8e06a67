use crate::ObjectKind;
use crate::fourvec::FourMomentum;

/// An [`EventTable`] built from columns violates an invariant.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TableError {
    #[error("column '{column}' has {got} entries, expected {expected}")]
    Length { column: &'static str, got: usize, expected: usize },
    #[error("offsets must start at 0, never decrease and end at the object count {objects}; entry {index} is {value}")]
    Offsets { index: usize, value: u64, objects: usize },
    #[error("process index {index} of event {event} is out of range ({names} process names)")]
    Process { event: usize, index: u32, names: usize },
}

/// A columnar batch of events (units GeV, radians).
///
/// Per-event columns have one entry per event; object columns have one entry per object of
/// all events, flattened in event order; event `i` owns objects `offsets[i]..offsets[i + 1]`
/// (so `offsets` has `len() + 1` entries and starts at 0), the layout of an Arrow list array.
/// Process labels are interned: `process[i]` indexes `process_names`.
///
/// `event_id` is the file's ID, kept as metadata only (it repeats in real files); an event is
/// identified by its source file and `source_line` (1-based).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventTable {
    pub event_id: Vec<i64>,
    pub process: Vec<u32>,
    pub process_names: Vec<String>,
    pub weight: Vec<f64>,
    pub met: Vec<f64>,
    pub met_phi: Vec<f64>,
    pub source_line: Vec<u64>,
    pub offsets: Vec<u64>,
    pub kind: Vec<ObjectKind>,
    pub e: Vec<f64>,
    pub pt: Vec<f64>,
    pub eta: Vec<f64>,
    pub phi: Vec<f64>,
}

/// The per-event fields of one event, for [`EventTable::push_event`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventHeader<'a> {
    pub event_id: i64,
    pub process: &'a str,
    pub weight: f64,
    pub met: f64,
    pub met_phi: f64,
    pub source_line: u64,
}

impl EventTable {
    /// An empty table.
    pub fn new() -> Self {
        Self { offsets: vec![0], ..Self::default() }
    }

    /// An empty table with room for `events` events and `objects` objects.
    pub fn with_capacity(events: usize, objects: usize) -> Self {
        let mut t = Self::new();
        t.reserve(events, objects);
        t
    }

    /// Reserves room for `events` more events and `objects` more objects.
    pub fn reserve(&mut self, events: usize, objects: usize) {
        self.event_id.reserve(events);
        self.process.reserve(events);
        self.weight.reserve(events);
        self.met.reserve(events);
        self.met_phi.reserve(events);
        self.source_line.reserve(events);
        self.offsets.reserve(events);
        self.kind.reserve(objects);
        self.e.reserve(objects);
        self.pt.reserve(objects);
        self.eta.reserve(objects);
        self.phi.reserve(objects);
    }

    /// Checks every invariant of a table assembled column by column (e.g. by a reader).
    pub fn from_columns(mut table: EventTable) -> Result<Self, TableError> {
        if table.offsets.is_empty() {
            table.offsets.push(0);
        }
        let n = table.offsets.len() - 1;
        let per_event: [(&'static str, usize); 6] = [
            ("event_id", table.event_id.len()),
            ("process", table.process.len()),
            ("weight", table.weight.len()),
            ("met", table.met.len()),
            ("met_phi", table.met_phi.len()),
            ("source_line", table.source_line.len()),
        ];
        for (column, got) in per_event {
            if got != n {
                return Err(TableError::Length { column, got, expected: n });
            }
        }
        let m = table.kind.len();
        for (column, got) in
            [("e", table.e.len()), ("pt", table.pt.len()), ("eta", table.eta.len()), ("phi", table.phi.len())]
        {
            if got != m {
                return Err(TableError::Length { column, got, expected: m });
            }
        }
        let bad_offset =
            table.offsets[0] != 0 || table.offsets.windows(2).any(|w| w[1] < w[0]) || table.offsets[n] != m as u64;
        if bad_offset {
            let index = (0..=n)
                .find(|&i| (i == 0 && table.offsets[0] != 0) || (i > 0 && table.offsets[i] < table.offsets[i - 1]))
                .unwrap_or(n);
            return Err(TableError::Offsets { index, value: table.offsets[index], objects: m });
        }
        let names = table.process_names.len();
        if let Some((event, &index)) = table.process.iter().enumerate().find(|(_, p)| **p as usize >= names) {
            return Err(TableError::Process { event, index, names });
        }
        Ok(table)
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.weight.len()
    }

    /// True when the table holds no event.
    pub fn is_empty(&self) -> bool {
        self.weight.is_empty()
    }

    /// Total number of objects over all events.
    pub fn object_count(&self) -> usize {
        self.kind.len()
    }

    /// The interned index of a process label, adding it if new.
    pub fn intern_process(&mut self, name: &str) -> u32 {
        // Files hold a handful of processes, usually in long runs: check the last one first.
        if let Some(last) = self.process.last() {
            if self.process_names[*last as usize] == name {
                return *last;
            }
        }
        match self.process_names.iter().position(|p| p == name) {
            Some(i) => i as u32,
            None => {
                self.process_names.push(name.to_owned());
                (self.process_names.len() - 1) as u32
            }
        }
    }

    /// Appends an event with no objects; follow with [`push_object`](Self::push_object).
    pub fn push_event(&mut self, h: EventHeader<'_>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let p = self.intern_process(h.process);
        self.event_id.push(h.event_id);
        self.process.push(p);
        self.weight.push(h.weight);
        self.met.push(h.met);
        self.met_phi.push(h.met_phi);
        self.source_line.push(h.source_line);
        self.offsets.push(self.kind.len() as u64);
    }

    /// Appends an object to the last event pushed.
    ///
    /// # Panics
    /// If no event has been pushed.
    pub fn push_object(&mut self, kind: ObjectKind, e: f64, pt: f64, eta: f64, phi: f64) {
        assert!(!self.is_empty(), "push_object before push_event");
        self.kind.push(kind);
        self.e.push(e);
        self.pt.push(pt);
        self.eta.push(eta);
        self.phi.push(phi);
        *self.offsets.last_mut().expect("offsets is never empty") += 1;
    }

    /// Keeps the first `n` events (and their objects); process names are kept.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len() {
            return;
        }
        let m = self.offsets[n] as usize;
        self.event_id.truncate(n);
        self.process.truncate(n);
        self.weight.truncate(n);
        self.met.truncate(n);
        self.met_phi.truncate(n);
        self.source_line.truncate(n);
        self.offsets.truncate(n + 1);
        self.kind.truncate(m);
        self.e.truncate(m);
        self.pt.truncate(m);
        self.eta.truncate(m);
        self.phi.truncate(m);
    }

    /// Appends all events of `other`, remapping its process labels.
    pub fn append(&mut self, other: &EventTable) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let remap: Vec<u32> = other.process_names.iter().map(|n| self.intern_process(n)).collect();
        let base = self.kind.len() as u64;
        self.event_id.extend_from_slice(&other.event_id);
        self.process.extend(other.process.iter().map(|&p| remap[p as usize]));
        self.weight.extend_from_slice(&other.weight);
        self.met.extend_from_slice(&other.met);
        self.met_phi.extend_from_slice(&other.met_phi);
        self.source_line.extend_from_slice(&other.source_line);
        self.offsets.extend(other.offsets.iter().skip(1).map(|o| o + base));
        self.kind.extend_from_slice(&other.kind);
        self.e.extend_from_slice(&other.e);
        self.pt.extend_from_slice(&other.pt);
        self.eta.extend_from_slice(&other.eta);
        self.phi.extend_from_slice(&other.phi);
    }

    /// A new table with the events whose `keep` entry is true, in order.
    ///
    /// # Panics
    /// If `keep.len() != self.len()`.
    pub fn filter(&self, keep: &[bool]) -> EventTable {
        assert_eq!(keep.len(), self.len(), "filter mask length");
        let n = keep.iter().filter(|k| **k).count();
        let mut out = EventTable::with_capacity(n, self.object_count());
        out.process_names = self.process_names.clone();
        for (i, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
            out.event_id.push(self.event_id[i]);
            out.process.push(self.process[i]);
            out.weight.push(self.weight[i]);
            out.met.push(self.met[i]);
            out.met_phi.push(self.met_phi[i]);
            out.source_line.push(self.source_line[i]);
            let r = self.object_range(i);
            out.kind.extend_from_slice(&self.kind[r.clone()]);
            out.e.extend_from_slice(&self.e[r.clone()]);
            out.pt.extend_from_slice(&self.pt[r.clone()]);
            out.eta.extend_from_slice(&self.eta[r.clone()]);
            out.phi.extend_from_slice(&self.phi[r]);
            out.offsets.push(out.kind.len() as u64);
        }
        out
    }

    /// A copy of the events in `range`, in order.
    ///
    /// # Panics
    /// If the range is out of bounds.
    pub fn slice(&self, range: std::ops::Range<usize>) -> EventTable {
        let objects = self.offsets[range.start] as usize..self.offsets[range.end] as usize;
        let base = self.offsets[range.start];
        EventTable {
            event_id: self.event_id[range.clone()].to_vec(),
            process: self.process[range.clone()].to_vec(),
            process_names: self.process_names.clone(),
            weight: self.weight[range.clone()].to_vec(),
            met: self.met[range.clone()].to_vec(),
            met_phi: self.met_phi[range.clone()].to_vec(),
            source_line: self.source_line[range.clone()].to_vec(),
            offsets: self.offsets[range.start..=range.end].iter().map(|o| o - base).collect(),
            kind: self.kind[objects.clone()].to_vec(),
            e: self.e[objects.clone()].to_vec(),
            pt: self.pt[objects.clone()].to_vec(),
            eta: self.eta[objects.clone()].to_vec(),
            phi: self.phi[objects].to_vec(),
        }
    }

    /// The object index range of event `i`.
    #[inline]
    pub fn object_range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }

    /// A view of event `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    #[inline]
    pub fn event(&self, i: usize) -> Event<'_> {
        let r = self.object_range(i);
        Event {
            index: i,
            event_id: self.event_id[i],
            process: &self.process_names[self.process[i] as usize],
            weight: self.weight[i],
            met: self.met[i],
            met_phi: self.met_phi[i],
            source_line: self.source_line[i],
            objects: Objects {
                kind: &self.kind[r.clone()],
                e: &self.e[r.clone()],
                pt: &self.pt[r.clone()],
                eta: &self.eta[r.clone()],
                phi: &self.phi[r],
            },
        }
    }

    /// Iterates over event views.
    pub fn events(&self) -> impl ExactSizeIterator<Item = Event<'_>> + '_ {
        (0..self.len()).map(|i| self.event(i))
    }

    /// Σw over all events.
    pub fn sum_weights(&self) -> f64 {
        self.weight.iter().sum()
    }
}

/// A borrowed view of one event of an [`EventTable`].
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Row index in its table.
    pub index: usize,
    pub event_id: i64,
    pub process: &'a str,
    pub weight: f64,
    /// Missing transverse energy, GeV.
    pub met: f64,
    pub met_phi: f64,
    pub source_line: u64,
    pub objects: Objects<'a>,
}

impl Event<'_> {
    /// HT = Σ pT of every j and b written in the event, GeV (physics-spec §1 decision: no η or
    /// pT requirement). With `eta_max`, only (b-)jets with |η| < `eta_max` are summed.
    pub fn ht(&self, eta_max: Option<f64>) -> f64 {
        self.objects.iter().filter(|o| o.kind.is_jet() && eta_max.is_none_or(|m| o.eta.abs() < m)).map(|o| o.pt).sum()
    }
}

/// The objects of one event as parallel slices.
#[derive(Debug, Clone, Copy)]
pub struct Objects<'a> {
    pub kind: &'a [ObjectKind],
    pub e: &'a [f64],
    pub pt: &'a [f64],
    pub eta: &'a [f64],
    pub phi: &'a [f64],
}

impl<'a> Objects<'a> {
    /// Number of objects.
    pub fn len(&self) -> usize {
        self.kind.len()
    }

    /// True when the event has no object.
    pub fn is_empty(&self) -> bool {
        self.kind.is_empty()
    }

    /// Object `i`.
    #[inline]
    pub fn get(&self, i: usize) -> ObjectRef {
        ObjectRef { kind: self.kind[i], e: self.e[i], pt: self.pt[i], eta: self.eta[i], phi: self.phi[i] }
    }

    /// Iterates over the objects in stored order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ObjectRef> + 'a {
        let this = *self;
        (0..this.len()).map(move |i| this.get(i))
    }
}

/// One object (GeV, radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub e: f64,
    pub pt: f64,
    pub eta: f64,
    pub phi: f64,
}

impl ObjectRef {
    /// The object's four-momentum.
    #[inline]
    pub fn p4(&self) -> FourMomentum {
        FourMomentum::from_e_pt_eta_phi(self.e, self.pt, self.eta, self.phi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(process: &str, line: u64) -> EventHeader<'_> {
        EventHeader { event_id: 1, process, weight: 2.0, met: 150.0, met_phi: 0.1, source_line: line }
    }

    fn sample() -> EventTable {
        let mut t = EventTable::new();
        t.push_event(header("ttbar", 1));
        t.push_object(ObjectKind::Jet, 120.0, 100.0, 0.5, 1.0);
        t.push_object(ObjectKind::BJet, 90.0, 80.0, 3.5, -1.0);
        t.push_object(ObjectKind::Photon, 30.0, 25.0, 0.1, 0.0);
        t.push_event(header("njets", 2));
        t.push_event(header("ttbar", 3));
        t.push_object(ObjectKind::ElectronPlus, 40.0, 40.0, 0.0, 0.0);
        t
    }

    #[test]
    fn offsets_and_views() {
        let t = sample();
        assert_eq!(t.len(), 3);
        assert_eq!(t.offsets, vec![0, 3, 3, 4]);
        assert_eq!(t.process_names, vec!["ttbar", "njets"]);
        assert_eq!(t.process, vec![0, 1, 0]);
        let e0 = t.event(0);
        assert_eq!(e0.objects.len(), 3);
        assert_eq!(e0.ht(None), 180.0);
        assert_eq!(e0.ht(Some(2.8)), 100.0);
        assert!(t.event(1).objects.is_empty());
        assert_eq!(t.event(2).process, "ttbar");
        assert_eq!(EventTable::from_columns(t.clone()), Ok(t));
    }

    #[test]
    fn filter_truncate_append() {
        let t = sample();
        let f = t.filter(&[true, false, true]);
        assert_eq!(f.offsets, vec![0, 3, 4]);
        assert_eq!(f.source_line, vec![1, 3]);
        let mut a = t.clone();
        a.truncate(1);
        assert_eq!(a.offsets, vec![0, 3]);
        assert_eq!(a.object_count(), 3);
        let mut other = EventTable::new();
        other.push_event(header("njets", 9));
        other.push_object(ObjectKind::Jet, 1.0, 1.0, 0.0, 0.0);
        a.append(&other);
        assert_eq!(a.offsets, vec![0, 3, 4]);
        assert_eq!(a.event(1).process, "njets");
        assert_eq!(a.process_names.len(), 2);
        let s = t.slice(1..3);
        assert_eq!(s.offsets, vec![0, 0, 1]);
        assert_eq!(s.source_line, vec![2, 3]);
        assert_eq!(s.kind, vec![ObjectKind::ElectronPlus]);
        assert!(t.slice(2..2).is_empty());
    }

    #[test]
    fn from_columns_rejects_broken_invariants() {
        let mut t = sample();
        t.offsets[2] = 1;
        assert!(matches!(EventTable::from_columns(t), Err(TableError::Offsets { index: 2, .. })));
        let mut t = sample();
        t.met.pop();
        assert!(matches!(EventTable::from_columns(t), Err(TableError::Length { column: "met", .. })));
        let mut t = sample();
        t.process[1] = 7;
        assert!(matches!(EventTable::from_columns(t), Err(TableError::Process { event: 1, .. })));
    }
}
