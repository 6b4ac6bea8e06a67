//! Shortest round-trip decimal formatting, spelled exactly as Python's `repr(float)`.
//!
//! The published DarkMachines tables were written by pandas, i.e. with Python's `repr`: the
//! shortest decimal string that parses back to the same f64, in fixed notation when the
//! decimal exponent is in [-4, 16) (always with a fractional part: `15.0`) and otherwise in
//! scientific notation with a signed exponent of at least two digits (`1e-05`, `1.5e+16`).
//! Rust's `{:e}` gives the same shortest digits; this module only rearranges them, so tables
//! written by Oddity are byte-identical to tables written by pandas.

/// Formats `x` as Python's `repr(x)` does (`nan`, `inf`, `-inf` for the non-finite values).
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".to_owned() } else { "-inf".to_owned() };
    }
    // `{:e}` prints the shortest round-trip digits: "-1.2345e-5", "0e0", "1e16".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    out.push_str(sign);
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn matches_python_repr() {
        // Expected strings are Python 3.11 `repr` of the same values.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (15.0, "15.0"),
            (0.8999999999999999, "0.8999999999999999"),
            (0.31622776601683794, "0.31622776601683794"),
            (0.7240000000000001, "0.7240000000000001"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5e-300, "-2.5e-300"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (123.456, "123.456"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(format_float(*x), *want, "{x:e}");
        }
    }

    #[test]
    fn round_trips() {
        let mut x = 1.234_567_890_123e-310_f64;
        while x < 1e300 {
            let s = format_float(x);
            assert_eq!(s.parse::<f64>().ok(), Some(x), "{s}");
            x *= 3.7;
        }
    }
}
