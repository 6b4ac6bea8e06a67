//! Oddity's event model.
//!
//! - [`ObjectKind`]: the reconstructed object types of the DarkMachines format (j, b, e∓, μ∓, γ)
//!   with their integer codes and charges.
//! - [`EventTable`]: a columnar batch of events. Per-event columns (process, weight, MET, MET φ,
//!   source line) sit beside the objects of all events flattened into parallel columns and
//!   addressed through `offsets`, like an Arrow list array. [`Event`] is a borrowed view of one
//!   row and [`Objects`] of its objects.
//! - [`fourvec`]: four-vector helpers (p_x, p_y, p_z, rapidity, invariant mass, Δφ), f64, GeV.
//! - [`summary`]: streaming sample summaries (Σw, effective sample size, process mix,
//!   multiplicities, weighted MET/HT quantiles).
//! - [`masses`]: the nine leading-object invariant masses of the ATLAS search (m_jj, m_jb,
//!   m_bb, m_je, m_jμ, m_jγ, m_be, m_bμ, m_bγ; [`MassPair`]) per event and per table.
//! - [`selection`]: object preselection profiles and event selections (the DarkMachines
//!   channels 1, 2a, 2b, 3 and the 4-top region) built in and loadable from TOML.
//!
//! Units: every energy, momentum and mass is in GeV, angles in radians (physics-spec §1).
//! Readers convert once at parse time.

pub mod fourvec;
mod kind;
pub mod masses;
pub mod selection;
pub mod summary;
mod table;

pub use kind::{ObjectKind, UnknownToken};
pub use masses::{EventMasses, MassColumns, MassPair, event_masses, table_masses};
pub use selection::{Preselection, Selection, SelectionError};
pub use summary::{Summary, SummaryReport};
pub use table::{Event, EventHeader, EventTable, ObjectRef, Objects, TableError};
