//! Turns the filter options into a [`Filter`], with an error naming any bad pattern or time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cli::FilterArgs;
use crate::triage::{Filter, HeaderCondition};

use super::ConfigError;

/// Builds the filter of the run; relative times count back from `now`.
///
/// # Errors
/// A regular expression that does not compile, or a time that is neither RFC 3339 nor an age.
pub fn build(args: &FilterArgs, now: SystemTime) -> Result<Filter, ConfigError> {
    let bytes_regex = |option: &str, pattern: &str| {
        regex::bytes::Regex::new(pattern).map_err(|error| {
            ConfigError::Other(format!("invalid regular expression for {option}: {error}"))
        })
    };
    let headers = args
        .headers
        .iter()
        .map(|given| {
            let (name, pattern) = match given.split_once('=') {
                Some((name, pattern)) => (name, Some(bytes_regex("--header", pattern)?)),
                None => (given.as_str(), None),
            };
            if name.is_empty() {
                return Err(ConfigError::Other(format!(
                    "--header {given:?}: expected NAME or NAME=REGEX"
                )));
            }
            Ok(HeaderCondition {
                name: name.to_owned(),
                pattern,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter {
        partitions: (!args.partitions.is_empty())
            .then(|| args.partitions.iter().copied().collect()),
        from_offset: args.from_offset,
        until_offset: args.until_offset,
        since: args
            .since
            .as_deref()
            .map(|t| parse_time("--since", t, now))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_time("--until", t, now))
            .transpose()?,
        key: args
            .key
            .as_deref()
            .map(|p| bytes_regex("--key", p))
            .transpose()?,
        headers,
        grep: args
            .grep
            .as_deref()
            .map(|pattern| {
                regex::Regex::new(pattern).map_err(|error| {
                    ConfigError::Other(format!("invalid regular expression for --grep: {error}"))
                })
            })
            .transpose()?,
    })
}

/// RFC 3339, or an age (`2h`, `30m`, `1d 12h`) before `now`; in milliseconds since the epoch.
fn parse_time(option: &str, given: &str, now: SystemTime) -> Result<i64, ConfigError> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(given) {
        return Ok(at.timestamp_millis());
    }
    let age: Duration = humantime::parse_duration(given).map_err(|_| {
        ConfigError::Other(format!(
            "{option} {given:?}: expected an RFC 3339 time (2026-11-24T08:00:00Z) or an age (2h, 30m, 7d)"
        ))
    })?;
    let at = now
        .checked_sub(age)
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .ok_or_else(|| ConfigError::Other(format!("{option} {given:?} is before 1970")))?;
    i64::try_from(at.as_millis())
        .map_err(|_| ConfigError::Other(format!("{option} {given:?} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_every_condition() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        let args = FilterArgs {
            partitions: vec![2, 0],
            from_offset: Some(5),
            until_offset: Some(9),
            since: Some("2h".into()),
            until: Some("1970-01-01T02:00:00+01:00".into()),
            key: Some("^order-".into()),
            headers: vec!["kafka_dlt-exception-fqcn=Timeout".into(), "retry".into()],
            grep: Some("canceled".into()),
            limit: Some(3),
        };
        let filter = build(&args, now).unwrap();
        assert_eq!(filter.partitions, Some([0, 2].into()));
        assert_eq!(
            (filter.from_offset, filter.until_offset),
            (Some(5), Some(9))
        );
        assert_eq!(filter.since, Some((10_000 - 7200) * 1000));
        assert_eq!(filter.until, Some(3_600_000));
        assert_eq!(filter.headers.len(), 2);
        assert_eq!(filter.headers[0].name, "kafka_dlt-exception-fqcn");
        assert!(filter.headers[1].pattern.is_none());
        assert!(!filter.is_empty());
        assert!(build(&FilterArgs::default(), now).unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_option() {
        let now = SystemTime::now();
        let bad = [
            FilterArgs {
                key: Some("(".into()),
                ..FilterArgs::default()
            },
            FilterArgs {
                grep: Some("[".into()),
                ..FilterArgs::default()
            },
            FilterArgs {
                since: Some("yesterday-ish".into()),
                ..FilterArgs::default()
            },
            FilterArgs {
                headers: vec!["=x".into()],
                ..FilterArgs::default()
            },
        ];
        let options = ["--key", "--grep", "--since", "--header"];
        for (args, option) in bad.iter().zip(options) {
            let error = build(args, now).unwrap_err().to_string();
            assert!(error.contains(option), "{error}");
        }
    }
}
