//! `--transform EXPR`: a jq expression over a decoded value, run by jaq (a maintained jq
//! implementation in Rust) with jq's standard library.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;

type Filter = jaq_core::compile::Filter<jaq_core::Native<data::JustLut<Val>>>;

/// A compiled jq expression.
pub struct Transform {
    expression: String,
    /// What a copy's `kmp-repaired` says of it, worked out once.
    by: String,
    filter: Filter,
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transform")
            .field("expression", &self.expression)
            .finish_non_exhaustive()
    }
}

impl Transform {
    /// Compiles `expression`.
    ///
    /// # Errors
    /// Why it does not parse or compile (an unknown function, say), on one line.
    pub fn compile(expression: &str) -> Result<Self, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(
                &arena,
                File {
                    code: expression,
                    path: (),
                },
            )
            .map_err(|errors| describe(expression, &format!("{errors:?}")))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| describe(expression, &format!("{errors:?}")))?;
        Ok(Self {
            expression: expression.to_owned(),
            by: super::Repair::by_expression(expression),
            filter,
        })
    }

    /// What a copy's `kmp-repaired` says of this expression (`jq:` and a digest).
    #[must_use]
    pub fn by(&self) -> &str {
        &self.by
    }

    /// The expression as given.
    #[must_use]
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The one value the expression makes of `input`.
    ///
    /// # Errors
    /// The expression's error, or that it made no value or several.
    pub fn run(&self, input: Val) -> Result<Val, String> {
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input)).map(unwrap_valr);
        let first = match outputs.next() {
            None => return Err("the expression gave no value".to_owned()),
            Some(Err(error)) => {
                return Err(format!(
                    "the expression failed: {}",
                    cut(&error.to_string())
                ));
            }
            Some(Ok(value)) => value,
        };
        if outputs.next().is_some() {
            return Err("the expression gave more than one value".to_owned());
        }
        Ok(first)
    }
}

/// An error that may quote a whole record, cut to a line a person reads.
fn cut(text: &str) -> String {
    const LONGEST: usize = 160;
    if text.chars().count() <= LONGEST {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(LONGEST).collect();
    cut.push('…');
    cut
}

/// A load or compile error of `expression` on one line.
fn describe(expression: &str, errors: &str) -> String {
    let errors: String = errors.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("--transform {expression:?} is not a jq expression jaq can run: {errors}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::val_to_json;

    /// `transform` over `input`, as JSON.
    fn on(transform: &Transform, input: &serde_json::Value) -> Result<serde_json::Value, String> {
        use serde::Deserialize as _;
        let output = transform.run(Val::deserialize(input).unwrap())?;
        Ok(val_to_json(&output).unwrap())
    }

    #[test]
    fn renames_a_field() {
        let transform = Transform::compile(".reason = .cancelReason | del(.cancelReason)").unwrap();
        let out = on(
            &transform,
            &serde_json::json!({"id":1,"cancelReason":"late"}),
        )
        .unwrap();
        assert_eq!(out, serde_json::json!({"id": 1, "reason": "late"}));
    }

    #[test]
    fn big_integers_stay_exact() {
        let transform = Transform::compile(".n").unwrap();
        let out = on(
            &transform,
            &serde_json::json!({"n":9_007_199_254_740_993_u64}),
        )
        .unwrap();
        assert_eq!(out.to_string(), "9007199254740993");
    }

    #[test]
    fn no_value_several_values_and_errors_are_refused() {
        let empty = Transform::compile("empty").unwrap();
        assert_eq!(
            on(&empty, &serde_json::json!(1)).unwrap_err(),
            "the expression gave no value"
        );
        let two = Transform::compile("1, 2").unwrap();
        assert_eq!(
            on(&two, &serde_json::json!(1)).unwrap_err(),
            "the expression gave more than one value"
        );
        let error = Transform::compile("error(\"no\")").unwrap();
        assert!(
            on(&error, &serde_json::json!(1))
                .unwrap_err()
                .starts_with("the expression failed")
        );
    }

    #[test]
    fn a_bad_expression_is_refused_at_once() {
        let error = Transform::compile(".a = ").unwrap_err();
        assert!(
            error.starts_with("--transform \".a = \" is not a jq expression"),
            "{error}"
        );
        let error = Transform::compile("nosuchfunction(1)").unwrap_err();
        assert!(error.contains("nosuchfunction"), "{error}");
    }
}
