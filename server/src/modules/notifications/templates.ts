/**
 * Every message the service sends, per language. `{{name}}` is replaced by the payload's value.
 * `secretFields` are scrubbed from the stored payload once the message has left.
 */
export interface TemplateText {
  title: string;
  body: string;
}

export interface TemplateDefinition {
  /**
   * `account` messages (codes) and `receipt` messages (money that moved) ignore opt-outs; `care`
   * and `alert` messages follow the user's preferences.
   */
  category: "account" | "receipt" | "care" | "alert";
  secretFields?: readonly string[];
  /** A payload field whose text goes with the email as a file (the booking's calendar event). */
  attachment?: { field: string; filename: string; contentType: string };
  text: { en: TemplateText } & Record<string, TemplateText>;
}

export const templates = {
  // ---------------------------------------------------------------- identity
  "identity.verify-code": {
    category: "account",
    secretFields: ["code"],
    text: {
      en: { title: "Your Clinic Live code", body: "Hello {{name}}, your verification code is {{code}}." },
      bn: { title: "আপনার Clinic Live কোড", body: "নমস্কার {{name}}, আপনার যাচাইকরণ কোড {{code}}।" },
    },
  },
  "identity.reset-code": {
    category: "account",
    secretFields: ["code"],
    text: {
      en: { title: "Reset your Clinic Live password", body: "Hello {{name}}, your password reset code is {{code}}." },
      bn: { title: "আপনার Clinic Live পাসওয়ার্ড রিসেট করুন", body: "নমস্কার {{name}}, আপনার পাসওয়ার্ড রিসেট কোড {{code}}।" },
    },
  },
  // ---------------------------------------------------------------- booking
  "booking.cancelled-by-leave": {
    category: "care",
    text: {
      en: {
        title: "Your appointment was cancelled",
        body: "Your appointment with {{doctor}} on {{when}} was cancelled: {{reason}}. {{alternativesText}}",
      },
      bn: {
        title: "আপনার অ্যাপয়েন্টমেন্ট বাতিল হয়েছে",
        body: "{{when}}-এ {{doctor}}-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্ট বাতিল হয়েছে: {{reason}}। {{alternativesText}}",
      },
    },
  },
  "booking.free-booked": {
    category: "care",
    text: {
      en: { title: "New booking", body: "{{patient}} booked {{when}} at {{clinic}} ({{why}})." },
      bn: { title: "নতুন বুকিং", body: "{{patient}} {{clinic}}-এ {{when}} বুক করেছেন ({{why}})।" },
    },
  },
  // The live flow's messages to the patient and the doctor (docs/notifications.md "Visit messages").
  "booking.confirmed": {
    category: "care",
    attachment: { field: "ics", filename: "appointment.ics", contentType: "text/calendar; charset=utf-8; method=PUBLISH" },
    text: {
      en: {
        title: "Booked: {{doctor}}, {{when}}",
        body: "Your appointment with {{doctor}} at {{clinic}} is confirmed for {{when}}. {{where}}. To change or cancel it: {{manageUrl}}",
      },
      bn: {
        title: "বুক হয়েছে: {{doctor}}, {{when}}",
        body: "{{clinic}}-এ {{doctor}}-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্ট {{when}}-এর জন্য নিশ্চিত হয়েছে। {{where}}। পরিবর্তন বা বাতিল করতে: {{manageUrl}}",
      },
    },
  },
  "booking.cancelled": {
    category: "care",
    text: {
      en: {
        title: "Cancelled: {{doctor}}, {{when}}",
        body: "Your appointment with {{doctor}} at {{clinic}} on {{when}} has been cancelled {{byWhom}}. {{reasonText}}Book another time: {{bookUrl}}",
      },
      bn: {
        title: "বাতিল: {{doctor}}, {{when}}",
        body: "{{clinic}}-এ {{doctor}}-এর সঙ্গে {{when}}-এর আপনার অ্যাপয়েন্টমেন্ট বাতিল করা হয়েছে ({{byWhomBn}})। {{reasonTextBn}}অন্য সময় বুক করুন: {{bookUrl}}",
      },
    },
  },
  "booking.moved": {
    category: "care",
    attachment: { field: "ics", filename: "appointment.ics", contentType: "text/calendar; charset=utf-8; method=PUBLISH" },
    text: {
      en: {
        title: "Moved: {{doctor}}, now {{when}}",
        body: "Your appointment with {{doctor}} at {{clinic}} is now on {{when}} (it was {{previousWhen}}). To change or cancel it: {{manageUrl}}",
      },
      bn: {
        title: "সময় বদল: {{doctor}}, এখন {{when}}",
        body: "{{clinic}}-এ {{doctor}}-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্ট এখন {{when}} (আগে ছিল {{previousWhen}})। পরিবর্তন বা বাতিল করতে: {{manageUrl}}",
      },
    },
  },
  "booking.doctor-cancelled": {
    category: "care",
    text: {
      en: { title: "Cancelled: {{patient}}, {{when}}", body: "{{patient}}'s appointment on {{when}} at {{clinic}} was cancelled {{byWhom}}. {{reasonText}}" },
      bn: { title: "বাতিল: {{patient}}, {{when}}", body: "{{clinic}}-এ {{when}}-এ {{patient}}-এর অ্যাপয়েন্টমেন্ট বাতিল হয়েছে ({{byWhomBn}})। {{reasonTextBn}}" },
    },
  },
  "booking.doctor-moved": {
    category: "care",
    text: {
      en: { title: "Moved: {{patient}}, now {{when}}", body: "{{patient}} moved their appointment at {{clinic}} from {{previousWhen}} to {{when}}." },
      bn: { title: "সময় বদল: {{patient}}, এখন {{when}}", body: "{{patient}} {{clinic}}-এ তাঁর অ্যাপয়েন্টমেন্ট {{previousWhen}} থেকে {{when}}-এ সরিয়েছেন।" },
    },
  },
  "booking.handed-over": {
    category: "care",
    text: {
      en: {
        title: "Now with {{doctor}}: {{when}}",
        body: "Your appointment at {{clinic}} on {{when}} is now with {{doctor}} instead of {{previousDoctor}} ({{reason}}). The time is as shown. To change or cancel it: {{manageUrl}}",
      },
      bn: {
        title: "এখন {{doctor}}-এর সঙ্গে: {{when}}",
        body: "{{clinic}}-এ {{when}}-এ আপনার অ্যাপয়েন্টমেন্ট এখন {{previousDoctor}}-এর বদলে {{doctor}}-এর সঙ্গে ({{reason}})। সময় যেমন দেখানো আছে। পরিবর্তন বা বাতিল করতে: {{manageUrl}}",
      },
    },
  },
  "booking.doctor-handed-over": {
    category: "care",
    text: {
      en: { title: "{{count}} appointment(s) handed to you", body: "{{count}} of {{previousDoctor}}'s appointments at {{clinic}} on {{range}} are now yours; your day shows them. Reason: {{reason}}." },
      bn: { title: "{{count}}টি অ্যাপয়েন্টমেন্ট আপনাকে দেওয়া হয়েছে", body: "{{clinic}}-এ {{range}}-এ {{previousDoctor}}-এর {{count}}টি অ্যাপয়েন্টমেন্ট এখন আপনার; আপনার দিনের তালিকায় সেগুলো দেখা যাবে। কারণ: {{reason}}।" },
    },
  },
  // ---------------------------------------------------------------- reminders
  // One text for every kind (day-before, morning, two-hours): quiet hours and collapsing move them,
  // so the text names the time instead of saying "tomorrow" or "in 2 hours".
  "reminders.appointment": {
    category: "care",
    text: {
      en: {
        title: "Appointment reminder",
        body: "Reminder: your appointment with {{doctor}} is on {{when}} at {{where}}.",
      },
      bn: {
        title: "অ্যাপয়েন্টমেন্টের অনুস্মারক",
        body: "অনুস্মারক: {{doctor}}-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্ট {{when}}, {{where}}।",
      },
    },
  },
  // ---------------------------------------------------------------- waitlist
  "waitlist.offered": {
    category: "care",
    text: {
      en: {
        title: "A slot is held for you",
        body: "A slot on {{when}} with {{doctor}} is held for you until {{until}}. Accept it in the app, or it goes to the next patient.",
      },
      bn: {
        title: "আপনার জন্য একটি সময় রাখা হয়েছে",
        body: "{{doctor}}-এর সঙ্গে {{when}}-এর সময়টি {{until}} পর্যন্ত আপনার জন্য রাখা হয়েছে। অ্যাপে গ্রহণ করুন, নইলে এটি পরের রোগী পাবেন।",
      },
    },
  },
  // ---------------------------------------------------------------- alerts
  "alert.leave-day": {
    category: "alert",
    text: {
      en: {
        title: "{{doctor}} cancelled a whole day",
        body: "{{doctor}}'s leave cancelled {{count}} appointment(s) at {{clinic}} on {{date}}, the whole day. Reason: {{reason}}.",
      },
    },
  },
  "alert.cancellations": {
    category: "alert",
    text: {
      en: {
        title: "{{doctor}} cancelled {{count}} appointments within an hour",
        body: "{{doctor}} cancelled {{count}} appointments at {{clinic}} within the last hour. Reason: {{reason}}.",
      },
    },
  },
  // ---- queue
  // Live ETAs (docs/queue-eta.md): sent when a patient's expected start moves by more than the
  // clinic's etaSlipNotifyMinutes since they were last told. `time`/`previous` are "HH:MM" in the clinic's zone.
  "queue.eta-slipped": {
    category: "care",
    text: {
      en: {
        title: "{{doctor}} is running late",
        body: "{{doctor}} at {{clinic}} is running late: you are now expected at {{time}} (before: {{previous}}).",
      },
      bn: {
        title: "{{doctor}}-এর দেরি হচ্ছে",
        body: "{{clinic}}-এ {{doctor}}-এর দেরি হচ্ছে: এখন আপনাকে {{time}}-এ দেখা হবে বলে আশা করা হচ্ছে (আগে: {{previous}})।",
      },
    },
  },
  "queue.eta-gained": {
    category: "care",
    text: {
      en: {
        title: "You may be seen earlier",
        body: "{{doctor}} at {{clinic}} is moving faster: you are now expected at {{time}} (before: {{previous}}). Come earlier if you can.",
      },
      bn: {
        title: "আপনাকে আগে দেখা হতে পারে",
        body: "{{clinic}}-এ {{doctor}} দ্রুত এগোচ্ছেন: এখন আপনাকে {{time}}-এ দেখা হবে বলে আশা করা হচ্ছে (আগে: {{previous}})। পারলে আগে আসুন।",
      },
    },
  },
  "queue.your-turn": {
    category: "care",
    text: {
      en: { title: "It's your turn{{roomText}}", body: "{{doctor}} is ready for you{{roomText}}. Your ticket: {{ticket}}." },
      bn: { title: "আপনার পালা{{roomTextBn}}", body: "{{doctor}} আপনার জন্য প্রস্তুত{{roomTextBn}}। আপনার টিকিট: {{ticket}}।" },
    },
  },
  "queue.next": {
    category: "care",
    text: {
      en: { title: "You're next", body: "You're next for {{doctor}} at {{clinic}} (ticket {{ticket}}). Please stay close to the waiting room." },
      bn: { title: "এর পরেই আপনি", body: "{{clinic}}-এ {{doctor}}-এর কাছে এর পরেই আপনি (টিকিট {{ticket}})। অনুগ্রহ করে ওয়েটিং রুমের কাছে থাকুন।" },
    },
  },
  // ---------------------------------------------------------------- payments (docs/payments.md)
  "payments.booking-paid": {
    category: "care",
    text: {
      en: { title: "New paid booking", body: "{{patient}} booked and paid for {{when}} at {{clinic}} ({{amount}})." },
      bn: { title: "নতুন পেইড বুকিং", body: "{{patient}} {{clinic}}-এ {{when}} বুক করে পেমেন্ট করেছেন ({{amount}})।" },
    },
  },
  "payments.pay-link": {
    category: "receipt",
    text: {
      en: { title: "Pay for your appointment with {{doctor}}", body: "{{clinic}} booked you with {{doctor}} on {{when}}. The visit costs {{amount}}: pay here to keep it, by {{payBy}}: {{checkoutUrl}}" },
      bn: { title: "{{doctor}}-এর সঙ্গে অ্যাপয়েন্টমেন্টের জন্য পেমেন্ট করুন", body: "{{clinic}} আপনাকে {{when}}-এ {{doctor}}-এর সঙ্গে বুক করেছে। ভিজিটের খরচ {{amount}}: এটি রাখতে {{payBy}}-এর মধ্যে এখানে পেমেন্ট করুন: {{checkoutUrl}}" },
    },
  },
  "payments.move-payment-failed": {
    category: "care",
    text: {
      en: { title: "Your visit was not moved", body: "The payment of the difference for moving to {{when}} with {{doctor}} {{reason}}, so that time was released. Your visit stays at its original time." },
      bn: { title: "আপনার ভিজিট সরানো হয়নি", body: "{{doctor}}-এর সঙ্গে {{when}}-এ সরানোর জন্য বাড়তি পেমেন্ট সম্পন্ন হয়নি ({{reason}}), তাই সেই সময়টি ছেড়ে দেওয়া হয়েছে। আপনার ভিজিট আগের সময়েই থাকছে।" },
    },
  },
  "payments.refunded": {
    category: "receipt",
    text: {
      en: {
        title: "Refund of {{amount}}",
        body: "We refunded {{amount}} for your appointment with {{doctor}} on {{when}}: {{reason}}. Refunds usually reach your card within 5–10 business days, so by {{arrivalBy}} at the latest.",
      },
      bn: {
        title: "{{amount}} ফেরত",
        body: "{{when}}-এ {{doctor}}-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্টের জন্য আমরা {{amount}} ফেরত দিয়েছি: {{reason}}। ফেরত সাধারণত ৫–১০ কার্যদিবসের মধ্যে আপনার কার্ডে পৌঁছায়, অর্থাৎ সর্বশেষ {{arrivalBy}}-এর মধ্যে।",
      },
    },
  },
  "payments.mismatch": {
    category: "alert",
    text: {
      en: {
        title: "A payment did not match its checkout",
        body: "A payment event for {{patient}}'s appointment on {{when}} at {{clinic}} did not match the checkout this service issued ({{differences}}). Nothing was booked or cancelled; check session {{sessionId}} with the payment provider.",
      },
    },
  },
  "payments.payment-failed": {
    category: "care",
    text: {
      en: { title: "Your booking was not paid", body: "The payment for your appointment with {{doctor}} on {{when}} {{reason}}, so the slot was released." },
      bn: { title: "আপনার বুকিংয়ের পেমেন্ট হয়নি", body: "{{when}}-এ {{doctor}}-এর সঙ্গে আপনার অ্যাপয়েন্টমেন্টের পেমেন্ট সম্পন্ন হয়নি ({{reason}}), তাই স্লটটি ছেড়ে দেওয়া হয়েছে।" },
    },
  },
  "payments.refunded-slot-taken": {
    category: "receipt",
    text: {
      en: {
        title: "Your payment was refunded",
        body: "Your payment ({{amount}}) arrived after the hold on {{when}} with {{doctor}} had lapsed and the slot was taken, so it was refunded in full; it should reach your card by {{arrivalBy}}. {{alternativesText}}",
      },
      bn: {
        title: "আপনার পেমেন্ট ফেরত দেওয়া হয়েছে",
        body: "{{when}}-এ {{doctor}}-এর সঙ্গে হোল্ডের মেয়াদ শেষ হয়ে স্লটটি অন্য কেউ নেওয়ার পরে আপনার পেমেন্ট ({{amount}}) এসেছে, তাই তা পুরোটা ফেরত দেওয়া হয়েছে; {{arrivalBy}}-এর মধ্যে আপনার কার্ডে পৌঁছানোর কথা। {{alternativesText}}",
      },
    },
  },
} satisfies Record<string, TemplateDefinition>;

export type TemplateName = keyof typeof templates;
