mod dockerfile;
mod inspect;
mod plan;
