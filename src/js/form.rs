//! `attachCheckoutForm`: live validation, phone formatting and submission for a plain HTML form
//! (feature `checkout`). No framework: it binds the form's inputs by name, shows the core's
//! messages in place (`setCustomValidity`, `aria-invalid`, an `aria-describedby` error text), and
//! submits through the same code as `StkClient`.

#[allow(unused_imports)]
use crate::prelude::*;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CustomEvent, CustomEventInit, Element, Event, HtmlElement, HtmlFormElement, HtmlInputElement};

use super::client::{field_errors, submit};
use super::client_config::ClientConfig;
use super::values::{raw_value, read_limits, read_locale, set, OneThread, LOCALE_OPTION_ERROR};
use super::wait::{status_route, wait_for_result};
use crate::rules::phone::{format_phone_as_you_type, PhoneNumber};
use crate::rules::stk::{CheckoutForm, Field, FieldError, Limits, RawStkRequest, RawValue};
use crate::rules::text::{decimal, join};

#[wasm_bindgen(typescript_custom_section)]
const FORM_TYPES: &'static str = r#"
/** Options of `attachCheckoutForm`. Give a `client`, or the `baseUrl` (and `timeoutMs`) to build one. */
export interface CheckoutFormOptions {
  client?: StkClient;
  baseUrl?: string;
  timeoutMs?: number;
  amountMax?: number;
  /** The language of every message the form shows (default: the client's, else "en"). */
  locale?: Locale;
  /** Input names, when they differ from amount, phone, accountReference, transactionDesc. */
  fields?: { amount?: string; phone?: string; accountReference?: string; transactionDesc?: string };
  /** Fixed values for fields the form has no input for (e.g. the amount and reference of the order). */
  values?: Partial<CheckoutInput>;
}
/** `detail` of the `stk:pending` event: the prompt was sent, the customer should check their phone. */
export interface StkPendingEventDetail { transaction: PendingTransaction }
/** `detail` of the `stk:error` event. */
export interface StkErrorEventDetail { error: StkError }
"#;

/// The checkout fields, bound by their wire names (`Field::as_str`) unless `options.fields` renames them.
const FIELDS: [Field; 4] = [Field::Amount, Field::Phone, Field::AccountReference, Field::TransactionDesc];

/// The controls that submit a form.
const SUBMIT_BUTTONS: &str = "button[type=submit], button:not([type]), input[type=submit]";

/// The last number given to a form's ids (the module runs on one thread; no std needed).
static NEXT_ID: OneThread<Cell<u32>> = OneThread(Cell::new(0));

/// An event listener this helper added, kept to remove it on detach.
type Listener = (web_sys::EventTarget, &'static str, Closure<dyn FnMut(Event)>);

/// One checkout field: an input in the form, or a fixed value from the options.
struct Control {
    field: Field,
    input: Option<HtmlInputElement>,
    /// For the optional hidden inputs: their name, looked up at each read, since Turnstile's
    /// widget adds its input after the form is attached.
    late_name: Option<String>,
    fixed: JsValue,
    error: Option<HtmlElement>,
    original_describedby: Option<String>,
    touched: Cell<bool>,
}

struct Helper {
    form: HtmlFormElement,
    controls: Vec<Control>,
    /// Form-level messages: API errors, and errors of fields without an input.
    form_error: HtmlElement,
    /// The network or range hint under the phone field.
    warning: Option<HtmlElement>,
    /// A polite live region: the payment's progress, for screen readers and eyes alike.
    status: HtmlElement,
    config: ClientConfig,
    pending: Cell<bool>,
    detached: Cell<bool>,
    created: RefCell<Vec<Element>>,
    listeners: RefCell<Vec<Listener>>,
    disabled: RefCell<Vec<Element>>,
}

fn text_of(target: &JsValue, key: &str) -> Option<String> {
    Reflect::get(target, &JsValue::from_str(key)).ok().and_then(|v| v.as_string())
}

fn usage_error(message: &str) -> JsValue {
    let error = js_sys::Error::new(&join(&["attachCheckoutForm: ", message]));
    error.set_name("TypeError");
    set(&error, "code", &JsValue::from_str("INVALID_OPTION"));
    error.into()
}

/// Binds a checkout form: live validation, phone formatting, submission through the proxy,
/// `stk:pending` and `stk:error` events. Returns a function that detaches everything.
#[wasm_bindgen(js_name = attachCheckoutForm, unchecked_return_type = "() => void")]
pub fn attach_checkout_form(
    #[wasm_bindgen(unchecked_param_type = "HTMLFormElement")] form: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CheckoutFormOptions")] options: JsValue,
) -> Result<js_sys::Function, JsValue> {
    let form: HtmlFormElement = form.dyn_into().map_err(|_| usage_error("the first argument must be a <form>."))?;
    if !options.is_object() {
        return Err(usage_error("options must be an object with a client or a baseUrl."));
    }
    let get = |target: &JsValue, key: &str| Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let client = get(&options, "client");
    let mut config = if client.is_object() {
        ClientConfig::from_options(&client)?
    } else if get(&options, "baseUrl").is_string() {
        ClientConfig::from_options(&options)?
    } else {
        return Err(usage_error("give a client or a baseUrl."));
    };
    if !get(&options, "amountMax").is_undefined() {
        config.limits = read_limits(&options)
            .ok_or_else(|| usage_error("amountMax must be a whole number, at least 1."))?
            .in_locale(config.locale());
    }
    // The form's own `locale` wins over its client's: validation, the proxy's and the payment's
    // messages all follow it.
    if !get(&options, "locale").is_undefined() {
        let locale = read_locale(&options).map_err(|()| usage_error(LOCALE_OPTION_ERROR))?;
        config.limits = config.limits.in_locale(locale);
    }
    let names = get(&options, "fields");
    let values = get(&options, "values");
    let document = form.owner_document().ok_or_else(|| usage_error("the form is not in a document."))?;
    let id = NEXT_ID.0.get().wrapping_add(1);
    NEXT_ID.0.set(id);
    let created = RefCell::new(Vec::new());

    let mut controls = Vec::new();
    for field in FIELDS {
        let key = field.as_str();
        let name = get(&names, key).as_string().unwrap_or_else(|| key.to_owned());
        let input = form.elements().named_item(&name).and_then(|e| e.dyn_into::<HtmlInputElement>().ok());
        let fixed = get(&values, key);
        if input.is_none() && fixed.is_undefined() {
            return Err(usage_error(&join(&[
                "the form has no input named \"",
                &name,
                "\" and options.values has no ",
                key,
                ".",
            ])));
        }
        let mut error = None;
        let mut original_describedby = None;
        if let Some(input) = &input {
            if input.type_() != "hidden" {
                let element = document.create_element("p")?.dyn_into::<HtmlElement>()?;
                let error_id = join(&["stk-", &decimal(id.into()), "-", key, "-error"]);
                element.set_id(&error_id);
                element.set_class_name("stk-error");
                element.set_attribute("aria-live", "polite")?;
                element.set_hidden(true);
                input.after_with_node_1(&element)?;
                original_describedby = input.get_attribute("aria-describedby");
                let describedby = match &original_describedby {
                    Some(existing) => join(&[existing.as_str(), " ", &error_id]),
                    None => error_id,
                };
                input.set_attribute("aria-describedby", &describedby)?;
                created.borrow_mut().push(element.clone().into());
                error = Some(element);
            }
        }
        controls.push(Control {
            field,
            input,
            late_name: None,
            fixed,
            error,
            original_describedby,
            touched: Cell::new(false),
        });
    }
    // Optional and never shown: the merchant's signed intent (an input named "intent") and
    // Turnstile's token (the hidden input its widget adds, maybe after this), sent when the form
    // has them at submit time.
    for (field, default_name) in [(Field::Intent, "intent"), (Field::TurnstileToken, "cf-turnstile-response")] {
        let name = get(&names, field.as_str()).as_string().unwrap_or_else(|| default_name.to_owned());
        let fixed = get(&values, field.as_str());
        let touched = Cell::new(false);
        let late_name = Some(name);
        controls.push(Control {
            field,
            input: None,
            late_name,
            fixed,
            error: None,
            original_describedby: None,
            touched,
        });
    }

    let warning = match controls.iter().find(|c| c.field == Field::Phone).and_then(|c| c.error.as_ref()) {
        Some(anchor) => {
            let element = document.create_element("p")?.dyn_into::<HtmlElement>()?;
            element.set_class_name("stk-warning");
            element.set_id(&join(&["stk-", &decimal(id.into()), "-phone-warning"]));
            element.set_attribute("aria-live", "polite")?;
            element.set_hidden(true);
            anchor.after_with_node_1(&element)?;
            created.borrow_mut().push(element.clone().into());
            Some(element)
        }
        None => None,
    };
    // The form's own messages, first in it: errors (an alert) and the payment's progress (polite).
    let paragraph = |class: &str, attribute: &str, value: &str| -> Result<HtmlElement, JsValue> {
        let element = document.create_element("p")?.dyn_into::<HtmlElement>()?;
        element.set_class_name(class);
        element.set_attribute(attribute, value)?;
        element.set_hidden(true);
        created.borrow_mut().push(element.clone().into());
        Ok(element)
    };
    let form_error = paragraph("stk-form-error", "role", "alert")?;
    let status = paragraph("stk-status", "aria-live", "polite")?;
    form.prepend_with_node_2(&form_error, &status)?;

    let helper = Rc::new(Helper {
        form,
        controls,
        form_error,
        warning,
        status,
        config,
        pending: Cell::new(false),
        detached: Cell::new(false),
        created,
        listeners: RefCell::new(Vec::new()),
        disabled: RefCell::new(Vec::new()),
    });
    helper.listen()?;
    let detach = helper.clone();
    Ok(Closure::once_into_js(move || detach.detach()).unchecked_into())
}

impl Helper {
    fn listen(self: &Rc<Self>) -> Result<(), JsValue> {
        for (index, control) in self.controls.iter().enumerate() {
            let Some(input) = &control.input else { continue };
            let helper = Rc::clone(self);
            self.add(input.clone().into(), "input", move |event| helper.on_input(index, &event))?;
            let helper = Rc::clone(self);
            self.add(input.clone().into(), "blur", move |event| helper.on_blur(index, &event))?;
        }
        let helper = Rc::clone(self);
        self.add(self.form.clone().into(), "submit", move |event| helper.on_submit(&event))?;
        Ok(())
    }

    fn add(
        &self,
        target: web_sys::EventTarget,
        kind: &'static str,
        f: impl FnMut(Event) + 'static,
    ) -> Result<(), JsValue> {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
        self.listeners.borrow_mut().push((target, kind, closure));
        Ok(())
    }

    /// The form's current values, as the core reads a request.
    fn raw(&self) -> RawStkRequest {
        let mut raw = RawStkRequest::default();
        for control in &self.controls {
            let late = control.late_name.as_deref().and_then(|name| self.form.elements().named_item(name));
            let late = late.and_then(|e| e.dyn_into::<HtmlInputElement>().ok());
            let value = match control.input.as_ref().or(late.as_ref()) {
                Some(input) => RawValue::String(input.value()),
                None => raw_value(&control.fixed),
            };
            if let Some(slot) = raw.field_mut(control.field) {
                *slot = value;
            }
        }
        raw
    }

    /// Validates everything and shows the errors of `shown` fields (and of fixed values).
    fn check(&self, shown: impl Fn(&Control) -> bool) -> Result<CheckoutForm, Vec<FieldError>> {
        let result = CheckoutForm::validate(&self.raw(), &self.limits()).map_err(|errors| errors.into_vec());
        let errors = result.as_ref().err().map_or(&[][..], Vec::as_slice);
        for control in self.controls.iter().filter(|c| shown(c)) {
            let message = errors.iter().find(|e| e.field() == control.field).map(FieldError::message);
            self.show(control, message);
        }
        result
    }

    fn limits(&self) -> Limits {
        self.config.limits
    }

    fn show(&self, control: &Control, message: Option<&str>) {
        if let Some(input) = &control.input {
            input.set_custom_validity(message.unwrap_or(""));
            let _ = match message {
                Some(_) => input.set_attribute("aria-invalid", "true"),
                None => input.remove_attribute("aria-invalid"),
            };
        }
        match (&control.error, message) {
            (Some(element), message) => {
                element.set_text_content(message);
                element.set_hidden(message.is_none());
            }
            (None, Some(message)) => self.show_form_error(Some(message)),
            (None, None) => {}
        }
        if control.field == Field::Phone {
            self.show_warning(control, message.is_none());
        }
    }

    /// A soft note under a valid number, never a block: the range is not in the metadata yet, or
    /// it was first assigned to a network other than Safaricom.
    fn show_warning(&self, control: &Control, valid: bool) {
        let Some(warning) = &self.warning else { return };
        let text = match (&control.input, valid) {
            (Some(input), true) => {
                PhoneNumber::parse(&input.value()).ok().and_then(|p| p.range_warning().or(p.network().mpesa_warning()))
            }
            _ => None,
        };
        warning.set_text_content(text);
        warning.set_hidden(text.is_none());
    }

    fn show_form_error(&self, message: Option<&str>) {
        self.form_error.set_text_content(message);
        self.form_error.set_hidden(message.is_none());
    }

    fn on_input(&self, index: usize, event: &Event) {
        let Some(control) = self.controls.get(index) else { return };
        if control.field == Field::Phone {
            // Reformatting after a deletion would put back the space the customer just removed.
            let deleting = event.dyn_ref::<web_sys::InputEvent>().is_some_and(|e| e.input_type().starts_with("delete"));
            if let (Some(input), false) = (&control.input, deleting) {
                reformat_keeping_caret(input);
            }
        }
        if control.touched.get() {
            let _ = self.check(|c| c.field == control.field);
        }
    }

    fn on_blur(&self, index: usize, event: &Event) {
        let Some(control) = self.controls.get(index) else { return };
        control.touched.set(true);
        // Focus leaving for this form's submit button: the submit validates everything. Showing
        // the error now would push the button down between mousedown and mouseup, and the click
        // would be lost.
        let to = event
            .dyn_ref::<web_sys::FocusEvent>()
            .and_then(|e| e.related_target())
            .and_then(|t| t.dyn_into::<Element>().ok());
        if to.is_some_and(|to| self.is_submit_button(&to)) {
            return;
        }
        if let (Field::Phone, Some(input)) = (control.field, &control.input) {
            let formatted = format_phone_as_you_type(&input.value());
            if formatted != input.value() {
                input.set_value(&formatted);
            }
        }
        let _ = self.check(|c| c.field == control.field);
    }

    fn is_submit_button(&self, element: &Element) -> bool {
        let node: &web_sys::Node = element.as_ref();
        self.form.contains(Some(node)) && element.matches(SUBMIT_BUTTONS).unwrap_or(false)
    }

    fn on_submit(self: &Rc<Self>, event: &Event) {
        event.prevent_default();
        if self.pending.get() || self.detached.get() {
            return; // a double submit, or a submit after detach: ignored
        }
        for control in &self.controls {
            control.touched.set(true);
        }
        self.show_form_error(None);
        let checkout = match self.check(|_| true) {
            Ok(checkout) => checkout,
            Err(errors) => {
                let first = errors.first().and_then(|e| self.controls.iter().find(|c| c.field == e.field()));
                if let Some(input) = first.and_then(|c| c.input.as_ref()) {
                    let _ = input.focus();
                }
                self.dispatch("stk:error", "error", &field_errors(&errors, self.config.locale()));
                return;
            }
        };
        self.set_pending(true);
        let helper = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let result = submit(&helper.config, &checkout).await;
            if helper.detached.get() {
                helper.set_pending(false);
                return;
            }
            // With a status route (a proxy with the payment lifecycle) the form stays busy until
            // the payment ends; without one, it is done at `stk:pending`.
            let follow = result.as_ref().is_ok_and(|t| status_route(t).is_some());
            if !follow {
                helper.set_pending(false);
            }
            match result {
                Ok(transaction) => {
                    helper.dispatch("stk:pending", "transaction", &transaction);
                    if follow {
                        helper.wait(transaction).await;
                        helper.set_pending(false);
                    }
                }
                Err(error) => {
                    let message = Reflect::get(&error, &JsValue::from_str("message")).ok().and_then(|m| m.as_string());
                    let kind = Reflect::get(&error, &JsValue::from_str("kind")).ok().and_then(|k| k.as_string());
                    if kind.as_deref() == Some("validation") {
                        let _ = helper.check(|_| true);
                    }
                    helper.show_form_error(message.as_deref());
                    helper.dispatch("stk:error", "error", &error);
                }
            }
        });
    }

    /// After `stk:pending`: follows the payment to its end, with `stk:status` at every change and
    /// `stk:success` or `stk:failed` at the end (`detail.payment`, whose `message` is shown).
    /// After a failure the form is ready for another try, the phone still filled in.
    async fn wait(self: &Rc<Self>, transaction: JsValue) {
        let helper = Rc::clone(self);
        let on_update = Closure::<dyn FnMut(JsValue)>::new(move |payment: JsValue| {
            if !helper.detached.get() {
                helper.show_status(text_of(&payment, "message").as_deref());
                helper.dispatch("stk:status", "payment", &payment);
            }
        });
        let outcome =
            wait_for_result(self.config.clone(), transaction, JsValue::UNDEFINED, on_update.as_ref().clone()).await;
        drop(on_update);
        if self.detached.get() {
            return;
        }
        match outcome {
            Ok(payment) if text_of(&payment, "status").as_deref() == Some("SUCCESS") => {
                self.dispatch("stk:success", "payment", &payment);
            }
            Ok(payment) => {
                self.show_status(None);
                self.show_form_error(text_of(&payment, "message").as_deref());
                self.dispatch("stk:failed", "payment", &payment);
            }
            Err(error) => {
                self.show_status(None);
                self.show_form_error(text_of(&error, "message").as_deref());
                self.dispatch("stk:error", "error", &error);
            }
        }
    }

    fn show_status(&self, message: Option<&str>) {
        self.status.set_text_content(message);
        self.status.set_hidden(message.is_none());
    }

    fn set_pending(&self, pending: bool) {
        self.pending.set(pending);
        let _ = if pending {
            self.form.set_attribute("aria-busy", "true")
        } else {
            self.form.remove_attribute("aria-busy")
        };
        if pending {
            let buttons = self.form.query_selector_all(SUBMIT_BUTTONS);
            let mut disabled = self.disabled.borrow_mut();
            for i in 0..buttons.as_ref().map_or(0, |b| b.length()) {
                let Some(element) =
                    buttons.as_ref().ok().and_then(|b| b.item(i)).and_then(|n| n.dyn_into::<Element>().ok())
                else {
                    continue;
                };
                if !element.has_attribute("disabled") {
                    let _ = element.set_attribute("disabled", "");
                    disabled.push(element);
                }
            }
        } else {
            for element in self.disabled.borrow_mut().drain(..) {
                let _ = element.remove_attribute("disabled");
            }
        }
    }

    fn dispatch(&self, kind: &str, key: &'static str, value: &JsValue) {
        let detail = Object::new();
        set(&detail, key, value);
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(&detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(kind, &init) {
            let _ = self.form.dispatch_event(&event);
        }
    }

    fn detach(&self) {
        if self.detached.replace(true) {
            return;
        }
        for (target, kind, closure) in self.listeners.borrow_mut().drain(..) {
            let _ = target.remove_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        }
        for element in self.created.borrow_mut().drain(..) {
            element.remove();
        }
        for control in &self.controls {
            if let Some(input) = &control.input {
                input.set_custom_validity("");
                let _ = input.remove_attribute("aria-invalid");
                let _ = match &control.original_describedby {
                    Some(original) => input.set_attribute("aria-describedby", original),
                    None => input.remove_attribute("aria-describedby"),
                };
            }
        }
        self.set_pending(false);
    }
}

/// Reformats the phone input and puts the caret back after the same digit it followed.
fn reformat_keeping_caret(input: &HtmlInputElement) {
    let value = input.value();
    let formatted = format_phone_as_you_type(&value);
    // Caret positions are UTF-16 offsets; for ASCII they are byte offsets too. Anything else is
    // left as typed (the formatter returns it unchanged anyway).
    if formatted == value || !value.is_ascii() {
        return;
    }
    let caret = input.selection_start().ok().flatten().map_or(value.len(), |c| c as usize);
    let significant = |c: char| c.is_ascii_digit() || c == '+';
    let before = value.get(..caret.min(value.len())).unwrap_or("").chars().filter(|c| significant(*c)).count();
    let mut position = if before == 0 { 0 } else { formatted.len() };
    let mut seen = 0;
    for (i, c) in formatted.char_indices() {
        if before > 0 && significant(c) {
            seen += 1;
            if seen == before {
                position = i + 1;
                break;
            }
        }
    }
    input.set_value(&formatted);
    let _ = input.set_selection_range(position as u32, position as u32);
}
