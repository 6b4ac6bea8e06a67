//! Where tensors live: `--device cpu|cuda|cuda:N|auto`.

use tch::{Cuda, Device};

/// A device request that cannot be met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("unknown device '{0}': expected cpu, cuda, cuda:N or auto")]
    Unknown(String),
    #[error("device '{requested}' asked for, but libtorch sees {available} CUDA device(s)")]
    Unavailable { requested: String, available: usize },
}

/// Parses a device name. `auto` is the first CUDA device when libtorch sees one, else the CPU;
/// asking for a CUDA device that is not there is an error, never a silent fallback.
pub fn parse_device(name: &str) -> Result<Device, DeviceError> {
    let name = name.trim();
    let cuda = |i: usize| {
        let available = Cuda::device_count().max(0) as usize;
        if i < available {
            Ok(Device::Cuda(i))
        } else {
            Err(DeviceError::Unavailable { requested: name.to_owned(), available })
        }
    };
    match name {
        "cpu" => Ok(Device::Cpu),
        "auto" => Ok(Device::cuda_if_available()),
        "cuda" => cuda(0),
        _ => match name.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(i)) => cuda(i),
            _ => Err(DeviceError::Unknown(name.to_owned())),
        },
    }
}

/// A short description for logs and manifests, e.g. `cpu (2 threads)` or `cuda:0`.
pub fn describe(device: Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({} threads)", tch::get_num_threads()),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_device("cpu"), Ok(Device::Cpu));
        assert!(matches!(parse_device("gpu"), Err(DeviceError::Unknown(_))));
        assert!(matches!(parse_device("cuda:x"), Err(DeviceError::Unknown(_))));
        if !Cuda::is_available() {
            assert_eq!(parse_device("auto"), Ok(Device::Cpu));
            let err = parse_device("cuda:0").unwrap_err().to_string();
            assert!(err.contains("0 CUDA device"), "{err}");
        }
    }
}
