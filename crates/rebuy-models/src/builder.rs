//! What the parameter builders (`FooParams`) of every model share.

/// Builder setters `fn name(mut self, value) -> Self` for parameter structs.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $name: $ty) -> Self {
                self.$name = $name;
                self
            }
        )*
    };
}
pub(crate) use setters;
