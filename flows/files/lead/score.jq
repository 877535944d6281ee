# The lead after this message: bill value, score (0-100), recommended plan, stage.
# Input: {prev, wa_id, name, phone_number_id, intent, text_bill, ocr, plans, now}. Output: the lead
# record kept in KV; `last_inbound` and `followed_up` are what flows/lead_followup.yml reads.
(.prev // {}) as $p
| (.ocr // {}) as $ocr
| (.text_bill // (if $ocr.ok == true then $ocr.bill_value else null end) // $p.bill_value // null) as $bill
| (if $bill == null then 0 elif $bill >= 500 then 50 elif $bill >= 250 then 40 elif $bill >= 150 then 25 else 10 end) as $bill_points
| (($p.intents // []) + [.intent] | unique) as $intents
| ((if ($intents | index("orcamento")) or ($intents | index("valor")) or ($intents | index("conta")) then 20 else 0 end)
   + (if $ocr.ok == true or $p.bill_from_photo == true then 15 else 0 end)
   + (if .name != "" then 5 else 0 end)) as $interest_points
| ([($p.score // 0), ($bill_points + $interest_points)] | max | if . > 100 then 100 else . end) as $score
| (if $bill == null then null else ([.plans[] | select(.min_bill <= $bill and $bill <= .max_bill)] | first) end) as $plan
| ($score >= 60 and $bill != null and $plan != null) as $qualified
| {wa_id: .wa_id, name: .name,
   stage: (if $qualified then "qualificado" elif .intent == "humano" then "atendimento_humano"
           elif $bill != null then "simulado" else "novo" end),
   intent: .intent, intents: $intents, bill_value: $bill,
   bill_from_photo: ($ocr.ok == true or $p.bill_from_photo == true),
   kwh: ($ocr.kwh // $p.kwh // null), score: $score, qualified: $qualified,
   plan: ($plan.id // null), phone_number_id: .phone_number_id,
   followed_up: ($p.followed_up // false), first_seen: ($p.first_seen // .now),
   last_inbound: .now, updated: .now}
