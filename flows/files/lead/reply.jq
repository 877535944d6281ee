# The Cloud API send that answers this message, in pt-BR, or null when a person would not answer (a reaction).
# Input: {to, lead, intent, plans, ocr, choice, place, shared_contact}. Output: the body of POST /{phone_number_id}/messages.
def brl: (. * 100 | round / 100) as $v | ($v | floor | tostring) as $i
  | ($i | explode | reverse | [range(0; length; 3) as $k | .[$k:$k+3]] | map(reverse | implode) | reverse | join(".")) as $g
  | if $v == ($v | floor) then "R$ \($g)" else "R$ \($g),\((($v - ($v | floor)) * 100 | round | tostring) | if length < 2 then "0" + . else . end)" end;
# The monthly saving a plan brings for a bill: the plan's share of the bill (the utility's minimum charges
# stay), at most what the plan's panels generate; rounded down to R$ 10, and always said as an estimate.
def saving($plan; $bill): [$bill * $plan.saving_share, $plan.max_monthly_saving] | min | . / 10 | floor * 10;
def first_name: (. // "" | split(" ") | first // "") as $n | if $n == "" then "" else ", \($n)" end;
def text($to; $body): {messaging_product: "whatsapp", recipient_type: "individual", to: $to, type: "text",
                        text: {preview_url: false, body: $body}};
def buttons($to; $body; $titles): {messaging_product: "whatsapp", recipient_type: "individual", to: $to,
  type: "interactive", interactive: {type: "button", body: {text: $body},
  action: {buttons: [$titles | to_entries[] | {type: "reply", reply: {id: "opt_\(.key + 1)", title: .value}}]}}};
.to as $to | .lead as $lead | (.lead.name | first_name) as $hi
| ([.plans[] | select(.id == $lead.plan)] | first) as $plan
| (.choice // "") as $choice | ([.plans[] | select(.id == $choice)] | first) as $chosen
| if .intent == "reacao" then
    null
  elif .intent == "localizacao" then
    text($to; "Obrigada pela localização 📍\(if (.place // "") != "" then " (\(.place))" else "" end)! Ela ajuda o consultor a preparar a visita técnica gratuita."
      + (if $lead.bill_value == null then " Para simular sua economia, me diga o valor médio da sua conta de luz." else "" end))
  elif .intent == "contato" then
    text($to; "Recebi o contato de \(if (.shared_contact // "") != "" then .shared_contact else "quem você indicou" end) 👤, obrigada pela indicação! Um consultor da Solar Sul vai entrar em contato em seu nome.")
  elif .intent == "humano" then
    text($to; "Combinado\($hi)! Um consultor da Solar Sul vai continuar seu atendimento por aqui em horário comercial (seg. a sex., 8h às 18h).")
  elif .intent == "visita" then
    text($to; "Perfeito\($hi)! 🙌 Um consultor vai te chamar por aqui para agendar a visita técnica gratuita. Qual o melhor período para você: manhã ou tarde?")
  elif .intent == "conta" and (.ocr.ok // false) != true then
    text($to; "Recebi a foto da sua conta 📄, mas não consegui ler o valor (\(.ocr.reason // "imagem ilegível")). Pode digitar o valor total da conta? Por exemplo: R$ 350")
  elif .intent == "plano" and $chosen != null then
    buttons($to;
      "O plano *\($chosen.name)* (\($chosen.kwp) kWp) custa \($chosen.price | brl) ou \($chosen.installments)x de \($chosen.installment_value | brl) e é indicado para contas de \($chosen.min_bill | brl) a \($chosen.max_bill | brl), com economia estimada de \(saving($chosen; $chosen.min_bill) | brl) a \(saving($chosen; $chosen.max_bill) | brl) por mês, conforme a conta."
      + (if $lead.bill_value == null then " Me diga o valor médio da sua conta de luz para eu confirmar se é o ideal para você." else "" end);
      ["Agendar visita", "Falar com atendente"])
  elif $lead.bill_value != null and $plan == null then
    text($to; "Com uma conta de \($lead.bill_value | brl) por mês, a energia solar ainda não compensa tanto: nossos planos começam para contas a partir de R$ 100. Se quiser, um consultor pode avaliar seu caso.")
  elif $lead.bill_value != null then
    buttons($to;
      "Com uma conta de \($lead.bill_value | brl) por mês\(if .intent == "conta" then " (lida da foto da sua conta)" else "" end), o plano *\($plan.name)* (\($plan.kwp) kWp) é o indicado: investimento de \($plan.price | brl) ou \($plan.installments)x de \($plan.installment_value | brl), com economia estimada de cerca de \(saving($plan; $lead.bill_value) | brl) por mês (uma estimativa: a taxa mínima da distribuidora continua)."
      + (if $lead.qualified then " Seu perfil foi pré-aprovado ✅" else "" end);
      ["Agendar visita", "Falar com atendente"])
  elif .intent == "orcamento" then
    {messaging_product: "whatsapp", recipient_type: "individual", to: $to, type: "interactive",
     interactive: {type: "list",
       body: {text: "Estes são nossos planos de energia solar\($hi). Para indicar o ideal, me diga o valor médio da sua conta de luz ou envie uma foto dela 📸"},
       action: {button: "Ver planos", sections: [{title: "Planos", rows: [.plans[] |
         {id: .id, title: .name[:24], description: ("\(.price | brl) · contas de \(.min_bill | brl) a \(.max_bill | brl)")[:72]}]}]}}}
  elif .intent == "conta_pedido" then
    text($to; "Claro! Envie uma foto nítida da sua conta de luz 📸 (a parte com o valor total e o consumo em kWh).")
  elif .intent == "duvida" then
    buttons($to; "Boa pergunta! Nossos sistemas têm garantia de 25 anos nas placas e 10 anos no inversor, e a instalação leva de 1 a 3 dias. Quer simular sua economia? Me diga o valor médio da sua conta de luz.";
      ["Ver planos", "Falar com atendente"])
  else
    buttons($to; "Olá\($hi)! 👋 Sou a assistente virtual da Solar Sul Energia. Posso simular quanto você economiza com energia solar: me diga o valor médio da sua conta de luz ou envie uma foto dela.";
      ["Ver planos", "Falar com atendente"])
  end
