use std::fmt;

/// A reconstructed object type (physics-spec §1).
///
/// The integer codes are the DDD authors' labels (`adrianrubio96/DarkMachines`): 0 is reserved
/// for padding and 8 for the MET pseudo-token, so neither is a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ObjectKind {
    /// Light jet, token `j`.
    Jet = 1,
    /// b-tagged jet, token `b`.
    BJet = 2,
    /// Electron, token `e-`.
    ElectronMinus = 3,
    /// Positron, token `e+`.
    ElectronPlus = 4,
    /// Muon, token `m-` (alias `mu-`).
    MuonMinus = 5,
    /// Antimuon, token `m+` (alias `mu+`).
    MuonPlus = 6,
    /// Photon, token `g`.
    Photon = 7,
}

/// The token was not one of the accepted object types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownToken(pub String);

impl fmt::Display for UnknownToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown object type '{}', expected one of {}", self.0, ObjectKind::ACCEPTED_TOKENS)
    }
}

impl std::error::Error for UnknownToken {}

impl ObjectKind {
    /// All kinds in code order.
    pub const ALL: [ObjectKind; 7] =
        [Self::Jet, Self::BJet, Self::ElectronMinus, Self::ElectronPlus, Self::MuonMinus, Self::MuonPlus, Self::Photon];

    /// The accepted file tokens, for error messages.
    pub const ACCEPTED_TOKENS: &'static str = "j, b, e-, e+, m-, m+, mu-, mu+, g";

    /// Integer code 1..=7 (0 = padding and 8 = MET token are not kinds).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind of an integer code, `None` for 0, 8 and anything else.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// The canonical DarkMachines token written by Oddity (`m-`/`m+` for muons).
    pub fn token(self) -> &'static str {
        match self {
            Self::Jet => "j",
            Self::BJet => "b",
            Self::ElectronMinus => "e-",
            Self::ElectronPlus => "e+",
            Self::MuonMinus => "m-",
            Self::MuonPlus => "m+",
            Self::Photon => "g",
        }
    }

    /// Parses a file token; accepts the muon aliases `mu-`/`mu+` (physics-spec §2.2).
    pub fn from_token(token: &[u8]) -> Result<Self, UnknownToken> {
        Ok(match token {
            b"j" => Self::Jet,
            b"b" => Self::BJet,
            b"e-" => Self::ElectronMinus,
            b"e+" => Self::ElectronPlus,
            b"m-" | b"mu-" => Self::MuonMinus,
            b"m+" | b"mu+" => Self::MuonPlus,
            b"g" => Self::Photon,
            other => return Err(UnknownToken(String::from_utf8_lossy(other).into_owned())),
        })
    }

    /// Electric charge in units of e, from the token (jets and photons are neutral).
    pub fn charge(self) -> i8 {
        match self {
            Self::ElectronMinus | Self::MuonMinus => -1,
            Self::ElectronPlus | Self::MuonPlus => 1,
            _ => 0,
        }
    }

    /// j or b: "jets" in selections means both (physics-spec §1).
    pub fn is_jet(self) -> bool {
        matches!(self, Self::Jet | Self::BJet)
    }

    /// e∓ or μ∓ (there are no taus).
    pub fn is_lepton(self) -> bool {
        matches!(self, Self::ElectronMinus | Self::ElectronPlus | Self::MuonMinus | Self::MuonPlus)
    }

    /// e∓.
    pub fn is_electron(self) -> bool {
        matches!(self, Self::ElectronMinus | Self::ElectronPlus)
    }

    /// μ∓.
    pub fn is_muon(self) -> bool {
        matches!(self, Self::MuonMinus | Self::MuonPlus)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

impl std::str::FromStr for ObjectKind {
    type Err = UnknownToken;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_token(s.trim().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_reserve_padding_and_met() {
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::from_code(kind.code()), Some(kind));
            assert_eq!(ObjectKind::from_token(kind.token().as_bytes()), Ok(kind));
        }
        assert_eq!(ObjectKind::from_code(0), None);
        assert_eq!(ObjectKind::from_code(8), None);
        assert_eq!(ObjectKind::Photon.code(), 7);
        assert_eq!(ObjectKind::ElectronMinus.code(), 3);
    }

    #[test]
    fn muon_aliases_and_charges() {
        assert_eq!(ObjectKind::from_token(b"mu-"), Ok(ObjectKind::MuonMinus));
        assert_eq!(ObjectKind::from_token(b"mu+"), Ok(ObjectKind::MuonPlus));
        assert_eq!(ObjectKind::MuonPlus.charge(), 1);
        assert_eq!(ObjectKind::ElectronMinus.charge(), -1);
        assert_eq!(ObjectKind::BJet.charge(), 0);
        let err = ObjectKind::from_token(b"a").unwrap_err().to_string();
        assert!(err.contains("'a'") && err.contains("mu+"), "{err}");
    }
}
