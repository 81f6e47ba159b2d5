mod dockerfile;
mod inspect;
mod plan;
mod reference;
